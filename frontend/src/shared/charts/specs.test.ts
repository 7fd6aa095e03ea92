import { describe, expect, it } from "vitest";
import { classNames } from "../../test/factories";
import { classColour, classColourScale } from "../classes";
import { labClasses } from "../classNames";
import {
  CELL_SHAPES,
  differentialSpec,
  landscapeSpec,
  learningCurveSpec,
  powerLawAt,
  probabilitySpec,
} from "./specs";

const { nameOf } = labClasses(classNames);

describe("chart specs", () => {
  it("gives every class the same colour on every chart", () => {
    const scale = classColourScale(["neutrophil", "basophil", "neutrophil"]);
    expect(scale.domain).toEqual(["basophil", "neutrophil"]);
    expect(scale.range).toEqual([classColour("basophil"), classColour("neutrophil")]);
    expect(classColour("some_new_class")).toMatch(/^#[0-9A-F]{6}$/i);
  });

  it("binds the landscape scales to an interval selection for pan, zoom and double-click reset", () => {
    const spec = landscapeSpec(
      {
        references: [{ reference_id: "r1", x: 1, y: 2, label: "monocyte" }],
        cells: [{ image_id: "i1", x: 0, y: 0, label: "ig", confidence: 0.9 }],
      },
      nameOf,
    );
    const json = JSON.stringify(spec);
    expect(json).toContain('"bind":"scales"');
    expect(json).toContain('"clear":"dblclick"');
    expect(json).toContain('"kind":"cell"');
    expect(json).toContain('"kind":"reference"');
    // Every point carries the lab's class name for its hover text; colours stay per class code.
    const layers = (
      spec as { layer: { data: { values: { name: string }[] }; encoding: { color: object } }[] }
    ).layer;
    expect(layers.map((layer) => layer.data.values.map((point) => point.name))).toEqual([
      ["Monocyte"],
      ["Immature granulocyte"],
    ]);
    expect(layers[0].encoding.color).toMatchObject({
      field: "label",
      scale: { domain: ["ig", "monocyte"], range: [classColour("ig"), classColour("monocyte")] },
    });
  });

  it("tells flagged and reviewed cells apart by shape, and keeps colours while classes are filtered", () => {
    type Layer = {
      data: { values: { mark?: string }[] };
      encoding: {
        color: { scale: { domain: string[]; range: string[] } };
        shape?: { scale: { domain: string[]; range: string[] } };
        opacity?: { condition?: { test: string } };
      };
    };
    const cells = [
      { image_id: "a", x: 0, y: 0, label: "neutrophil", confidence: 0.9, mark: "reviewed" as const },
      { image_id: "b", x: 1, y: 1, label: "neutrophil", confidence: 0.5, mark: "flagged" as const },
      { image_id: "c", x: 2, y: 2, label: "neutrophil", confidence: 0.9 },
    ];
    const spec = landscapeSpec({ references: [], cells }, nameOf, {
      classes: ["monocyte", "neutrophil"],
      highlight: ["flagged"],
    }) as unknown as { layer: Layer[] };
    const [references, onCase] = spec.layer;
    expect(onCase.data.values.map((cell) => cell.mark)).toEqual(["reviewed", "flagged", "predicted"]);
    const shapes = onCase.encoding.shape?.scale;
    expect(new Set(shapes?.range).size).toBe(3);
    expect(shapes?.range[shapes.domain.indexOf("flagged")]).toBe(CELL_SHAPES.flagged);
    expect(onCase.encoding.opacity?.condition?.test).toContain('"flagged"');
    // The colour scale covers every class of the view, not only those left on the map.
    expect(references.encoding.color.scale.domain).toEqual(["monocyte", "neutrophil"]);
    expect(new Set(references.encoding.color.scale.range).size).toBe(2);
  });

  it("puts probabilities and shares on a percent axis", () => {
    const probability = probabilitySpec({ neutrophil: 0.8, ig: 0.2 }, nameOf) as {
      data: { values: { name: string }[] };
    };
    expect(probability.data.values.map((v) => v.name)).toEqual(["Neutrophil", "Immature granulocyte"]);
    const differential = differentialSpec([
      { label: "neutrophil", count: 3, percentage: 75 },
      { label: "lymphocyte", count: 1, percentage: 25 },
    ]) as { data: { values: { fraction: number }[] } };
    expect(differential.data.values.map((v) => v.fraction)).toEqual([0.75, 0.25]);
  });
});

describe("learningCurveSpec", () => {
  const points = [
    { classifier_version: 1, support_size: 10, agreement: 0.6, next_labels: 5 },
    { classifier_version: 2, support_size: 20, agreement: null, next_labels: 0 },
  ];
  it("plots only scored points", () => {
    const spec = learningCurveSpec(points, null) as { layer: { data: { values: unknown[] } }[] };
    expect(spec.layer[1].data.values).toHaveLength(1);
    expect(spec.layer[0].data.values).toHaveLength(0);
  });
  it("draws the power law where it is defined", () => {
    const fit = { p_max: 0.9, k: 1, n0: 0, r: 0.5 };
    expect(powerLawAt(fit, 4)).toBeCloseTo(0.4);
    expect(powerLawAt(fit, 0)).toBeNull();
    const spec = learningCurveSpec(points, fit) as { layer: { data: { values: unknown[] } }[] };
    expect(spec.layer[0].data.values.length).toBeGreaterThan(10);
  });
  it("labels the support set size in whole cells", () => {
    const spec = learningCurveSpec(points, null) as {
      layer: { encoding: { x: { axis: { format: string } } } }[];
    };
    expect(spec.layer[1].encoding.x.axis.format).toBe(",d");
  });
});
