// Vega-Lite specs for HemoSight's charts, as pure functions of API data (tested without a browser).
import type { TopLevelSpec } from "vega-lite";
import { classColourScale } from "../classes";
import { fallbackClassName } from "../classNames";
import type { ClassCount, LandscapeData } from "./types";

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
const config = { font: FONT, view: { stroke: null }, axis: { labelFontSize: 12, titleFontSize: 12 } };

/** Per-class probability of one cell, highest first; `nameOf` gives the lab's class names (useLabClassName). */
export function probabilitySpec(
  probabilities: Record<string, number>,
  nameOf: (code: string) => string,
): TopLevelSpec {
  const values = Object.entries(probabilities)
    .map(([label, probability]) => ({ label, name: nameOf(label), probability }))
    .sort((a, b) => b.probability - a.probability);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    data: { values },
    width: "container",
    height: { step: 22 },
    autosize: { type: "fit-x", contains: "padding" },
    mark: { type: "bar", cornerRadiusEnd: 2 },
    encoding: {
      y: { field: "name", type: "nominal", sort: "-x", title: null },
      x: {
        field: "probability",
        type: "quantitative",
        scale: { domain: [0, 1] },
        axis: { format: "%" },
        title: "probability",
      },
      color: {
        field: "label",
        type: "nominal",
        scale: classColourScale(values.map((v) => v.label)),
        legend: null,
      },
      tooltip: [
        { field: "name", title: "class" },
        { field: "probability", format: ".1%" },
      ],
    },
    config,
  };
}

/** Percentage per class of a project's differential count. */
export function differentialSpec(classes: ClassCount[]): TopLevelSpec {
  const total = classes.reduce((sum, item) => sum + item.count, 0);
  const values = classes.map((item) => ({
    label: item.label,
    name: item.name ?? fallbackClassName(item.label),
    count: item.count,
    fraction: total ? item.count / total : 0,
  }));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    data: { values },
    width: "container",
    height: { step: 26 },
    autosize: { type: "fit-x", contains: "padding" },
    mark: { type: "bar", cornerRadiusEnd: 2 },
    encoding: {
      y: { field: "name", type: "nominal", sort: "-x", title: null },
      x: { field: "fraction", type: "quantitative", axis: { format: "%" }, title: "share of cells" },
      color: {
        field: "label",
        type: "nominal",
        scale: classColourScale(values.map((v) => v.label)),
        legend: null,
      },
      tooltip: [
        { field: "name", title: "class" },
        { field: "count", title: "cells" },
        { field: "fraction", title: "share", format: ".1%" },
      ],
    },
    config,
  };
}

/** Marker shapes of the case's cells on the landscape: the mark is told by shape, not by colour alone. */
export const CELL_SHAPES = { predicted: "diamond", flagged: "triangle-up", reviewed: "square" } as const;
export type CellMarkName = keyof typeof CELL_SHAPES;

/** A cell of the case as the landscape draws it: where, which class, and its mark (default "predicted"). */
export type LandscapeCellInput = Pick<
  LandscapeData["cells"][number],
  "image_id" | "x" | "y" | "label" | "confidence"
> & { mark?: CellMarkName };

export type LandscapeOptions = {
  /** Every class the view may show, so a class keeps its colour while others are filtered out. */
  classes?: string[];
  /** Marks to bring forward; the case's other cells are drawn faint. */
  highlight?: readonly CellMarkName[];
};

/**
 * The t-SNE landscape: reference cells as small dots coloured by class, the project's cells on top as
 * outlined markers whose shape says whether the cell is flagged or reviewed. Scales are bound to an
 * interval selection: drag pans, the wheel zooms and a double-click resets. The class legend is the page's
 * own (a list of checkboxes), so the chart draws none.
 */
export function landscapeSpec(
  landscape: { references: LandscapeData["references"]; cells: LandscapeCellInput[] },
  nameOf: (code: string) => string,
  options: LandscapeOptions = {},
): TopLevelSpec {
  const labels = options.classes ?? [
    ...landscape.references.map((point) => point.label),
    ...landscape.cells.map((cell) => cell.label ?? "unclassified"),
  ];
  // Points carry the lab's class name (`name`) for the hover text; the legend is the page's own.
  const colour = {
    field: "label",
    type: "nominal" as const,
    scale: classColourScale(labels),
    legend: null,
  };
  const highlight = options.highlight ?? [];
  const highlighted = `indexof(${JSON.stringify(highlight)}, datum.mark) >= 0`;
  const marks = Object.keys(CELL_SHAPES) as CellMarkName[];
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: "container",
    height: 470,
    autosize: { type: "fit-x", contains: "padding" },
    layer: [
      {
        data: {
          values: landscape.references.map((point) => ({
            ...point,
            name: nameOf(point.label),
            kind: "reference",
          })),
        },
        params: [{ name: "view", select: { type: "interval", clear: "dblclick" }, bind: "scales" }],
        mark: { type: "circle", size: 18, opacity: highlight.length ? 0.25 : 0.45 },
        encoding: {
          x: { field: "x", type: "quantitative", axis: null, scale: { zero: false } },
          y: { field: "y", type: "quantitative", axis: null, scale: { zero: false } },
          color: colour,
        },
      },
      {
        data: {
          values: landscape.cells.map((cell) => ({
            ...cell,
            label: cell.label ?? "unclassified",
            mark: cell.mark ?? "predicted",
            name: nameOf(cell.label ?? "unclassified"),
            kind: "cell",
          })),
        },
        // The hover selection also makes these marks pickable (Vega-Lite leaves marks without one inert).
        params: [{ name: "hovered", select: { type: "point", on: "pointerover", clear: "pointerout" } }],
        mark: { type: "point", filled: true, stroke: "#1b1b1b", cursor: "pointer" },
        encoding: {
          x: { field: "x", type: "quantitative" },
          y: { field: "y", type: "quantitative" },
          color: colour,
          shape: {
            field: "mark",
            type: "nominal",
            scale: { domain: marks, range: marks.map((mark) => CELL_SHAPES[mark]) },
            legend: null,
          },
          size: {
            condition: [
              { param: "hovered", empty: false, value: 260 },
              ...(highlight.length ? [{ test: highlighted, value: 170 }] : []),
            ],
            value: 110,
          },
          strokeWidth: highlight.length
            ? { condition: { test: highlighted, value: 2.6 }, value: 0.8 }
            : { value: 1.2 },
          opacity: highlight.length
            ? { condition: { test: highlighted, value: 1 }, value: 0.3 }
            : { value: 1 },
        },
      },
    ],
    config,
  };
}

type CurvePoint = {
  support_size: number;
  agreement: number | null;
  classifier_version: number;
  next_labels: number;
};
type PowerLaw = { p_max: number; k: number; n0: number; r: number } | null;

/** The fitted power law P(n) = p_max − k / (n − n0)^r at n, or null where it is undefined. */
export function powerLawAt(fit: NonNullable<PowerLaw>, n: number): number | null {
  const base = n - fit.n0;
  if (base <= 0) return null;
  const value = fit.p_max - fit.k / base ** fit.r;
  return Number.isFinite(value) ? value : null;
}

/** A label set's learning curve: held-out agreement per support-set size, with the power-law fit if any. */
export function learningCurveSpec(points: CurvePoint[], fit: PowerLaw): TopLevelSpec {
  const scored = points
    .filter((point) => point.agreement !== null)
    .map((point) => ({ ...point, series: "measured" }));
  const sizes = points.map((point) => point.support_size);
  const fitted: { support_size: number; agreement: number; series: string }[] = [];
  if (fit && sizes.length > 0) {
    const low = Math.min(...sizes);
    const high = Math.max(...sizes) * 1.5;
    for (let step = 0; step <= 40; step += 1) {
      const n = low + ((high - low) * step) / 40;
      const value = powerLawAt(fit, n);
      if (value !== null)
        fitted.push({ support_size: n, agreement: Math.max(0, Math.min(1, value)), series: "power law" });
    }
  }
  // Whole cells: "2", "16,000" (not "2.000000" when a single point makes the scale a zero-width span).
  const x = {
    field: "support_size",
    type: "quantitative" as const,
    title: "support set size (cells)",
    axis: { format: ",d", tickMinStep: 1 },
  };
  const y = {
    field: "agreement",
    type: "quantitative" as const,
    title: "held-out agreement",
    scale: { domain: [0, 1] },
    axis: { format: "%" },
  };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: "container",
    height: 240,
    autosize: { type: "fit-x", contains: "padding" },
    layer: [
      {
        data: { values: fitted },
        // The fitted curve is drawn for the eye only (aria: false); the chart itself carries a label.
        mark: { type: "line", strokeDash: [4, 3], color: "#888888", aria: false },
        encoding: { x, y },
      },
      {
        data: { values: scored },
        mark: { type: "line", point: true, color: "#0072B2" },
        encoding: {
          x,
          y,
          tooltip: [
            { field: "classifier_version", title: "classifier version" },
            { field: "support_size", title: "support set" },
            { field: "agreement", title: "agreement", format: ".1%" },
            { field: "next_labels", title: "scored on (cells)" },
          ],
        },
      },
    ],
    config,
  };
}
