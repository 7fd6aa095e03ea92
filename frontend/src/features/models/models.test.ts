import { describe, expect, it } from "vitest";
import {
  compareMetrics,
  formatDelta,
  formatMetric,
  formatScore,
  keyMetrics,
  metricAt,
  metricLabel,
} from "./models";

const metrics = {
  training: { input_size: 96, epochs: 30 },
  held_out: {
    cell_type: { macro_f1: 0.9232, accuracy: 0.9347, per_class: { basophil: { f1: 0.8 } } },
    attributes_mean_macro_f1: 0.821,
  },
  references: 3200,
};

describe("model metrics", () => {
  it("reads nested values by dotted path", () => {
    expect(metricAt(metrics, "held_out.cell_type.macro_f1")).toBe(0.9232);
    expect(metricAt(metrics, "held_out.cell_size.macro_f1")).toBeUndefined();
    expect(metricAt(metrics, "references.count")).toBeUndefined();
    expect(metricAt(null, "a.b")).toBeUndefined();
  });

  it("takes the headline numbers of the default label set, null when missing", () => {
    expect(keyMetrics({ metrics, default_label_set: "cell_type" })).toEqual({
      macroF1: 0.9232,
      accuracy: 0.9347,
      attributesMacroF1: 0.821,
      inputSize: 96,
    });
    expect(keyMetrics({ metrics: {}, default_label_set: "cell_type" })).toEqual({
      macroF1: null,
      accuracy: null,
      attributesMacroF1: null,
      inputSize: null,
    });
    expect(
      keyMetrics({
        metrics: { held_out: { cell_type: { macro_f1: "n/a" } } },
        default_label_set: "cell_type",
      }).macroF1,
    ).toBeNull();
  });

  it("formats scores as percentages and counts as integers", () => {
    expect(formatScore(0.9232)).toBe("92.3 %");
    expect(formatScore(null)).toBe("—");
    expect(formatMetric(3200)).toBe("3,200");
    expect(formatMetric(0.5)).toBe("50.0 %");
    expect(formatMetric(undefined)).toBe("—");
    expect(metricLabel("held_out.cell_type.macro_f1")).toBe("held out · cell type · macro F1");
  });

  it("compares headline metrics of two versions with the difference", () => {
    const rows = compareMetrics(
      { "held_out.cell_type.macro_f1": 0.9, "held_out.cell_type.per_class.basophil.f1": 0.8, references: 10 },
      { "held_out.cell_type.macro_f1": 0.95, "held_out.attributes_mean_macro_f1": 0.8 },
    );
    expect(rows.map((row) => row.name)).toEqual([
      "held_out.cell_type.macro_f1",
      "held_out.attributes_mean_macro_f1",
    ]);
    expect(rows[0].delta).toBeCloseTo(0.05);
    expect(rows[1]).toEqual({
      name: "held_out.attributes_mean_macro_f1",
      left: undefined,
      right: 0.8,
      delta: undefined,
    });
    expect(formatDelta(rows[0])).toBe("+5.0 pts");
    expect(formatDelta(rows[1])).toBe("—");
    expect(formatDelta({ name: "references", left: 3200, right: 3000, delta: -200 })).toBe("-200");
    expect(formatDelta({ name: "x.f1", left: 0.5, right: 0.5, delta: 0 })).toBe("±0.0 pts");
    expect(compareMetrics({ references: 10 }, {}, { headlineOnly: false })).toHaveLength(1);
  });
});
