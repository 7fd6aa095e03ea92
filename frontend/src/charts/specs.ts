// Vega-Lite specs for HemoSight's charts, as pure functions of API data (tested without a browser).
import type { TopLevelSpec } from "vega-lite";
import { classColourScale, className } from "../classes";
import type { ClassCount, LandscapeData } from "./types";

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
const config = { font: FONT, view: { stroke: null }, axis: { labelFontSize: 12, titleFontSize: 12 } };

/** Per-class probability of one cell, highest first. */
export function probabilitySpec(probabilities: Record<string, number>): TopLevelSpec {
  const values = Object.entries(probabilities)
    .map(([label, probability]) => ({ label, name: className(label), probability }))
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
    name: className(item.label),
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
export function landscapeSpec(landscape: LandscapeData): TopLevelSpec {
  const labels = [
    ...landscape.references.map((point) => point.label),
    ...landscape.cells.map((cell) => cell.label ?? "unclassified"),
  ];
  const colour = {
    field: "label",
    type: "nominal" as const,
    scale: classColourScale(labels),
    legend: { title: "class", orient: "right" as const, symbolType: "circle" },
  };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: "container",
    height: 470,
    autosize: { type: "fit-x", contains: "padding" },
    layer: [
      {
        data: { values: landscape.references.map((point) => ({ ...point, kind: "reference" })) },
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
