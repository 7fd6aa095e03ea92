import { describe, expect, it } from "vitest";
import { hasClassifier, labelSetStatusWords, parseClasses, refitFinished } from "./labelSets";

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

describe("label set words", () => {
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
