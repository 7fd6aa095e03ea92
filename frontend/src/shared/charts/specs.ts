// Vega-Lite specs for HemoSight's charts, as pure functions of API data (tested without a browser).
import type { TopLevelSpec } from "vega-lite";
import { classColour, classColourScale } from "../classes";
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

/**
 * The t-SNE landscape: reference cells as small dots coloured by class, the project's cells on
 * top as outlined diamonds. Scales are bound to an interval selection: drag pans, the wheel
 * zooms and a double-click resets.
 */
export function landscapeSpec(landscape: LandscapeData, nameOf: (code: string) => string): TopLevelSpec {
  const labels = [
    ...landscape.references.map((point) => point.label),
    ...landscape.cells.map((cell) => cell.label ?? "unclassified"),
  ];
  // The legend reads the lab's class names; each name keeps its class's colour.
  const domain = [...new Set(labels)].sort();
  const colour = {
    field: "name",
    type: "nominal" as const,
    scale: { domain: domain.map(nameOf), range: domain.map(classColour) },
    legend: { title: "class", orient: "right" as const, symbolType: "circle" },
  };
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
        mark: { type: "circle", size: 18, opacity: 0.45 },
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
            name: nameOf(cell.label ?? "unclassified"),
            kind: "cell",
          })),
        },
        // The hover selection also makes these marks pickable (Vega-Lite leaves marks without one inert).
        params: [{ name: "hovered", select: { type: "point", on: "pointerover", clear: "pointerout" } }],
        mark: {
          type: "point",
          shape: "diamond",
          filled: true,
          stroke: "#1b1b1b",
          strokeWidth: 1.2,
          cursor: "pointer",
        },
        encoding: {
          x: { field: "x", type: "quantitative" },
          y: { field: "y", type: "quantitative" },
          color: colour,
          size: { condition: { param: "hovered", empty: false, value: 260 }, value: 110 },
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
        mark: { type: "line", strokeDash: [4, 3], color: "#888888" },
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
