import { describe, expect, it } from "vitest";
import {
  cellMark,
  classCounts,
  flagReason,
  type LandscapeCell,
  NO_FILTERS,
  stepFor,
  visiblePoints,
} from "./landscapeView";

const cell = (over: Partial<LandscapeCell> = {}): LandscapeCell => ({
  image_id: "i",
  x: 0,
  y: 0,
  label: "neutrophil",
  confidence: 0.95,
  neighbours_agree: 1,
  needs_review: false,
  unusable: null,
  usable_confirmed: false,
  reviewed_label: null,
  ...over,
});

describe("the landscape's marks", () => {
  it("says why a cell is flagged, and a reviewed cell is no longer flagged", () => {
    expect(flagReason(cell())).toBeNull();
    expect(flagReason(cell({ needs_review: true, confidence: 0.5 }))).toBe("low confidence");
    expect(flagReason(cell({ needs_review: true, neighbours_agree: 0.6 }))).toBe("flagged by its neighbours");
    expect(flagReason(cell({ unusable: "Blank or uniform image" }))).toMatch(/^unusable \(Blank/);
    expect(flagReason(cell({ unusable: "Blank", usable_confirmed: true }))).toBeNull();
    expect(cellMark(cell({ needs_review: true, confidence: 0.5 }))).toBe("flagged");
    expect(cellMark(cell({ reviewed_label: "monocyte", confidence: 0.5 }))).toBe("reviewed");
    expect(cellMark(cell())).toBe("predicted");
  });
});

describe("the landscape's filters", () => {
  const data = {
    references: [
      { reference_id: "r1", x: 0, y: 0, label: "neutrophil" },
      { reference_id: "r2", x: 1, y: 0, label: "monocyte" },
    ],
    cells: [cell({ image_id: "a" }), cell({ image_id: "b", label: "monocyte" })],
  };

  it("hides unticked classes on both layers, and the reference cells for only this case", () => {
    expect(visiblePoints(data, NO_FILTERS)).toEqual(data);
    const noMonocytes = visiblePoints(data, { ...NO_FILTERS, hidden: ["monocyte"] });
    expect(noMonocytes.references.map((p) => p.reference_id)).toEqual(["r1"]);
    expect(noMonocytes.cells.map((c) => c.image_id)).toEqual(["a"]);
    const onlyCase = visiblePoints(data, { ...NO_FILTERS, onlyThisCase: true });
    expect(onlyCase.references).toEqual([]);
    expect(onlyCase.cells).toHaveLength(2);
  });

  it("counts each class's cells of the case and reference cells", () => {
    expect(classCounts(data)).toEqual([
      { label: "monocyte", cells: 1, references: 1 },
      { label: "neutrophil", cells: 1, references: 1 },
    ]);
  });

  it("steps through the cells with the arrow keys", () => {
    expect(stepFor("ArrowRight", null, 3)).toBe(0);
    expect(stepFor("ArrowRight", 2, 3)).toBe(2);
    expect(stepFor("End", 0, 3)).toBe(2);
    expect(stepFor("x", 0, 3)).toBeUndefined();
    expect(stepFor("ArrowRight", null, 0)).toBeUndefined();
  });
});
