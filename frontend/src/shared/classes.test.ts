import { describe, expect, it } from "vitest";
import { classColour, classColourScale, classColours, EXTRA_COLOURS, OKABE_ITO } from "./classes";

const DEFAULT_CLASSES = [
  "basophil",
  "eosinophil",
  "erythroblast",
  "ig",
  "lymphocyte",
  "monocyte",
  "neutrophil",
  "platelet",
];

describe("class colours", () => {
  it("gives the default label set's white cells Okabe–Ito colours, each its own", () => {
    const colours = DEFAULT_CLASSES.map(classColour);
    expect(new Set(colours).size).toBe(DEFAULT_CLASSES.length);
    for (const label of DEFAULT_CLASSES.filter((item) => item !== "platelet")) {
      expect(OKABE_ITO).toContain(classColour(label));
    }
  });

  it("never gives two classes of one view the same colour, even when their names hash alike", () => {
    // 8 extra colours for 12 unknown classes: some hash to the same colour, and all must still differ.
    const unknown = Array.from({ length: 12 }, (_, i) => `attribute_${i}`);
    const hashed = unknown.map(classColour);
    expect(new Set(hashed).size).toBeLessThan(unknown.length);
    const labels = [...DEFAULT_CLASSES, "blast", "unclassified", ...unknown];
    const colours = classColours(labels);
    expect(colours.size).toBe(labels.length);
    expect(new Set(colours.values()).size).toBe(labels.length);
    // A known class keeps its own colour whatever else is shown.
    expect(colours.get("neutrophil")).toBe(classColour("neutrophil"));
    expect(colours.get("unclassified")).toBe(classColour("unclassified"));
  });

  it("is stable: the same classes get the same colours, in any order", () => {
    const labels = ["reactive lymphocyte", "normal", "lymphocyte"];
    expect(classColourScale(labels)).toEqual(classColourScale([...labels].reverse()));
    expect(classColourScale(labels).domain).toEqual(["lymphocyte", "normal", "reactive lymphocyte"]);
    expect(EXTRA_COLOURS).toContain(classColours(labels).get("normal"));
  });
});
