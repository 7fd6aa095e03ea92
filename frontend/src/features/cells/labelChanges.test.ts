import { describe, expect, it } from "vitest";
import type { LabelEvent } from "../../shared/api/types";
import { labClasses } from "../../shared/classNames";
import { classNames, labelEvent } from "../../test/factories";
import { describeChange, undoableChanges } from "./labelChanges";

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

describe("describeChange", () => {
  const { nameOf } = labClasses(classNames);
  it("describes changes with the lab's class names", () => {
    expect(describeChange(event("a"), nameOf)).toBe("cell type: set to Lymphocyte");
    expect(describeChange(event("a", { previous_label: "ig" }), nameOf)).toBe(
      "cell type: Immature granulocyte → Lymphocyte",
    );
    expect(describeChange(event("a", { action: "confirm" }), nameOf)).toBe("cell type: confirmed Lymphocyte");
    expect(describeChange(event("a", { action: "undo", label: null }), nameOf)).toBe(
      "cell type: undone, back to no label",
    );
  });
});
