import { describe, expect, it } from "vitest";
import type { LabelEvent } from "../../shared/api/types";
import { labelEvent } from "../../test/factories";
import {
  describeChange,
  hasClassifier,
  labelSetStatusWords,
  parseClasses,
  queueKeyAction,
  refitFinished,
  undoableChanges,
} from "./labelling";

const event = (id: string, change: Partial<LabelEvent> = {}): LabelEvent =>
  labelEvent(id, { image_id: "img", project_id: "p", username: "ana", ...change });

describe("undoableChanges", () => {
  it("offers the newest change of each label set", () => {
    const history = [event("a"), event("b"), event("c", { label_set: "reactive" })];
    expect([...undoableChanges(history)].sort()).toEqual(["b", "c"]);
  });
  it("skips undone changes and undos themselves", () => {
    const history = [event("a"), event("b", { undone_by: "u" }), event("u", { action: "undo", undoes: "b" })];
    expect([...undoableChanges(history)]).toEqual(["a"]);
  });
  it("offers nothing without history", () => {
    expect(undoableChanges([]).size).toBe(0);
  });
});

describe("queueKeyAction", () => {
  it("maps number keys to classes that exist", () => {
    expect(queueKeyAction("1", 2)).toEqual({ kind: "pick", index: 0 });
    expect(queueKeyAction("2", 2)).toEqual({ kind: "pick", index: 1 });
    expect(queueKeyAction("3", 2)).toBeNull();
    expect(queueKeyAction("0", 9)).toBeNull();
  });
  it("maps Enter and arrows", () => {
    expect(queueKeyAction("Enter", 2)).toEqual({ kind: "confirm" });
    expect(queueKeyAction("ArrowRight", 2)).toEqual({ kind: "next" });
    expect(queueKeyAction("ArrowLeft", 2)).toEqual({ kind: "previous" });
    expect(queueKeyAction("a", 2)).toBeNull();
  });
});

describe("refitFinished", () => {
  it("notices a new classifier version", () => {
    expect(
      refitFinished({ classifier_version: 1, updating: true }, { classifier_version: 2, updating: false }),
    ).toBe(true);
    expect(
      refitFinished({ classifier_version: null, updating: true }, { classifier_version: 1, updating: true }),
    ).toBe(true);
  });
  it("notices the end of an update, and nothing on the first poll", () => {
    expect(
      refitFinished({ classifier_version: 1, updating: true }, { classifier_version: 1, updating: false }),
    ).toBe(true);
    expect(
      refitFinished({ classifier_version: 1, updating: false }, { classifier_version: 1, updating: false }),
    ).toBe(false);
    expect(refitFinished(undefined, { classifier_version: 1, updating: false })).toBe(false);
  });
});

describe("words", () => {
  it("describes changes", () => {
    expect(describeChange(event("a"))).toBe("cell type: set to lymphocyte");
    expect(describeChange(event("a", { previous_label: "monocyte" }))).toBe(
      "cell type: monocyte → lymphocyte",
    );
    expect(describeChange(event("a", { action: "confirm" }))).toBe("cell type: confirmed lymphocyte");
    expect(describeChange(event("a", { action: "undo", label: null }))).toBe(
      "cell type: undone, back to no label",
    );
  });
  it("describes label set states", () => {
    expect(labelSetStatusWords({ status: "ready", updating: true, message: null })).toBe(
      "Updating classifier…",
    );
    expect(labelSetStatusWords({ status: "needs_labels", updating: false, message: "label more" })).toBe(
      "label more",
    );
  });
  it("parses class lists", () => {
    expect(parseClasses("reactive lymphocyte, normal\nnormal,, ")).toEqual(["reactive lymphocyte", "normal"]);
  });
});

describe("hasClassifier", () => {
  const set = (change: Partial<Parameters<typeof hasClassifier>[0] & object>) => ({
    classifier_version: null,
    updating: false,
    status: "needs_labels" as const,
    ...change,
  });
  it("is true once a refit has produced a classifier and finished", () => {
    expect(hasClassifier(undefined)).toBe(false);
    expect(hasClassifier(set({}))).toBe(false);
    expect(hasClassifier(set({ classifier_version: 1, updating: true }))).toBe(false);
    expect(hasClassifier(set({ classifier_version: 1, status: "ready" }))).toBe(true);
    // Fitted on two classes but a class still needs labels: the classifier (and its queue) exist.
    expect(hasClassifier(set({ classifier_version: 1, status: "needs_labels" }))).toBe(true);
    expect(hasClassifier(set({ status: "model" }))).toBe(true);
    // A failed refit keeps the previous classifier in use; a failed first fit has none.
    expect(hasClassifier(set({ classifier_version: 2, status: "failed" }))).toBe(true);
    expect(hasClassifier(set({ status: "failed" }))).toBe(false);
  });
});
