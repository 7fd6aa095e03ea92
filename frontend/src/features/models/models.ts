// Pure helpers for the Models page: the few numbers an admin compares, taken from a version's metrics.
import type { ModelVersion } from "../../shared/api/types";

/** The value at a dotted path of nested objects (`held_out.cell_type.macro_f1`), or undefined. */
export function metricAt(metrics: unknown, path: string): unknown {
  let value: unknown = metrics;
  for (const key of path.split(".")) {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function numberAt(metrics: unknown, path: string): number | null {
  const value = metricAt(metrics, path);
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

export type KeyMetrics = {
  /** Held-out macro F1 of the default label set (cell type), 0–1. */
  macroF1: number | null;
  /** Held-out accuracy of the default label set, 0–1. */
  accuracy: number | null;
  /** Mean held-out macro F1 over the attribute label sets, 0–1. */
  attributesMacroF1: number | null;
  /** Side of the square crop the encoder sees, in pixels. */
  inputSize: number | null;
};

/** The headline numbers of a model version; null where its bundle does not report them. */
export function keyMetrics(
  model: Pick<ModelVersion, "metrics" | "default_label_set"> & {
    comparable_metrics?: Record<string, number>;
  },
): KeyMetrics {
  const labelSet = model.default_label_set || "cell_type";
  const flat = model.comparable_metrics ?? {};
  const pick = (path: string) => numberAt(model.metrics, path) ?? flat[path] ?? null;
  return {
    macroF1: pick(`held_out.${labelSet}.macro_f1`),
    accuracy: pick(`held_out.${labelSet}.accuracy`),
    attributesMacroF1: pick("held_out.attributes_mean_macro_f1"),
    inputSize: numberAt(model.metrics, "training.input_size") ?? numberAt(model.metrics, "input_size"),
  };
}

/** A 0–1 score as a percentage with one decimal ("92.3 %"), or an en dash when missing. */
export function formatScore(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return `${(value * 100).toFixed(1)} %`;
}

/** A metric value for the comparison table: scores (0–1) as percentages, counts as integers. */
export function formatMetric(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return "—";
  if (Number.isInteger(value) && Math.abs(value) > 1) return value.toLocaleString("en");
  if (value >= 0 && value <= 1) return formatScore(value);
  return value.toFixed(3);
}

export type ComparisonRow = { name: string; left?: number; right?: number; delta?: number };

/** right − left in words: percentage points between scores (0–1), a plain difference otherwise. */
export function formatDelta(row: ComparisonRow): string {
  const { left, right, delta } = row;
  if (delta === undefined || left === undefined || right === undefined) return "—";
  const scores = left >= 0 && left <= 1 && right >= 0 && right <= 1;
  const size = scores ? (delta * 100).toFixed(1) : Number.isInteger(delta) ? String(delta) : delta.toFixed(3);
  if (Number(size) === 0) return scores ? "±0.0 pts" : "±0";
  return `${delta > 0 ? "+" : ""}${size}${scores ? " pts" : ""}`;
}

/** Metric names that compare headline scores, not every fold or per-class figure. */
export function isHeadline(name: string): boolean {
  const last = name.split(".").pop() ?? name;
  return (
    ["f1", "accuracy", "mean"].some((word) => last.includes(word)) &&
    !name.includes(".folds") &&
    !name.includes(".per_class")
  );
}

/**
 * Rows comparing two versions' flattened metrics (`comparable_metrics`), headline scores first
 * and in the left version's order; `delta` is right − left where both have the metric.
 */
export function compareMetrics(
  left: Record<string, number>,
  right: Record<string, number>,
  { headlineOnly = true }: { headlineOnly?: boolean } = {},
): ComparisonRow[] {
  const names = [...new Set([...Object.keys(left), ...Object.keys(right)])].filter(
    (name) => !headlineOnly || isHeadline(name),
  );
  return names.map((name) => {
    const a = left[name];
    const b = right[name];
    return { name, left: a, right: b, delta: a !== undefined && b !== undefined ? b - a : undefined };
  });
}

/** A readable label for a dotted metric name: "held_out.cell_type.macro_f1" → "held out · cell type · macro F1". */
export function metricLabel(name: string): string {
  return name
    .split(".")
    .map((part) => part.replace(/_/g, " ").replace(/\bf1\b/, "F1"))
    .join(" · ");
}
