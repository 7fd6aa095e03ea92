// Colours of cell classes (their names come from the API: useLabClasses in classNames.ts). Okabe–Ito
// colours, distinguishable with the common forms of colour blindness; classes outside the default label
// set get Paul Tol's muted colours.
const CLASS_COLOURS: Record<string, string> = {
  basophil: "#CC79A7",
  blast: "#882255",
  eosinophil: "#E69F00",
  erythroblast: "#D55E00",
  ig: "#F0E442",
  lymphocyte: "#0072B2",
  monocyte: "#009E73",
  neutrophil: "#56B4E9",
  platelet: "#3B3B3B",
};
const EXTRA_COLOURS = [
  "#332288",
  "#117733",
  "#44AA99",
  "#88CCEE",
  "#DDCC77",
  "#CC6677",
  "#AA4499",
  "#999933",
];

export function classColour(label: string): string {
  const known = CLASS_COLOURS[label.toLowerCase()];
  if (known) return known;
  let hash = 0;
  for (const char of label) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return EXTRA_COLOURS[hash % EXTRA_COLOURS.length];
}

/** A Vega-Lite colour scale that gives each class the same colour on every chart. */
export function classColourScale(labels: Iterable<string>): { domain: string[]; range: string[] } {
  const domain = [...new Set(labels)].sort();
  return { domain, range: domain.map(classColour) };
}

/** Below this confidence a prediction needs a closer look. */
export const LOW_CONFIDENCE = 0.7;

export function isLowConfidence(confidence: number | null | undefined): boolean {
  return confidence !== null && confidence !== undefined && confidence < LOW_CONFIDENCE;
}

export function formatPercent(fraction: number | null | undefined, digits = 0): string {
  return fraction === null || fraction === undefined ? "—" : `${(fraction * 100).toFixed(digits)}%`;
}
