// Colours of cell classes (their names come from the API: useLabClasses in classNames.ts).
//
// Colour-blind-safe palette: the classes of the default label set take the Okabe–Ito colours (Okabe & Ito,
// "Color Universal Design", 2002), which stay distinguishable with protanopia, deuteranopia and tritanopia;
// its black is a dark grey here (platelets) so the black outline of the landscape's cells stays visible, and
// blasts, a ninth class, take Paul Tol's wine. Other classes get Paul Tol's muted colours, never one a class
// in the same view already has (classColourScale). Colour is never the only cue: the class name is always
// written beside a swatch, and the landscape marks flagged and reviewed cells by shape.
export const OKABE_ITO = [
  "#000000",
  "#E69F00",
  "#56B4E9",
  "#009E73",
  "#F0E442",
  "#0072B2",
  "#D55E00",
  "#CC79A7",
];

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
/** Paul Tol's muted scheme (also colour-blind-safe), for classes outside the default label set. */
export const EXTRA_COLOURS = [
  "#332288",
  "#117733",
  "#44AA99",
  "#88CCEE",
  "#DDCC77",
  "#CC6677",
  "#AA4499",
  "#999933",
];
/** Paul Tol's bright and light schemes: when a view has more classes than the colours above. */
const MORE_COLOURS = [
  "#4477AA",
  "#EE6677",
  "#228833",
  "#CCBB44",
  "#66CCEE",
  "#AA3377",
  "#77AADD",
  "#EE8866",
  "#EEDD88",
  "#FFAABB",
  "#99DDFF",
  "#44BB99",
  "#AAAA00",
];
/** Points without a class (not classified yet). */
const UNCLASSIFIED_COLOUR = "#BBBBBB";

export function classColour(label: string): string {
  const known = CLASS_COLOURS[label.toLowerCase()];
  if (known) return known;
  if (label === "unclassified") return UNCLASSIFIED_COLOUR;
  return EXTRA_COLOURS[hashOf(label) % EXTRA_COLOURS.length];
}

function hashOf(label: string): number {
  let hash = 0;
  for (const char of label) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash;
}

/**
 * Each class's colour in one view: classColour where it is free, else the next unused colour, so that no two
 * classes shown together share a colour (a hash of two unknown class names may coincide). The same classes
 * always get the same colours.
 */
export function classColours(labels: Iterable<string>): Map<string, string> {
  const domain = [...new Set(labels)].sort();
  const taken = new Set<string>();
  const colours = new Map<string, string>();
  const pool = [...EXTRA_COLOURS, ...OKABE_ITO, ...MORE_COLOURS];
  // Known classes first: their colour is theirs on every screen.
  for (const label of domain.filter(isKnown)) {
    colours.set(label, classColour(label));
    taken.add(classColour(label));
  }
  for (const label of domain.filter((item) => !isKnown(item))) {
    const preferred = classColour(label);
    const start = Math.max(0, pool.indexOf(preferred));
    const free = [...pool.slice(start), ...pool.slice(0, start)].find((colour) => !taken.has(colour));
    // Beyond every palette (over 30 classes at once): evenly spread hues.
    const colour = taken.has(preferred) ? (free ?? `hsl(${(taken.size * 137.5) % 360} 55% 45%)`) : preferred;
    colours.set(label, colour);
    taken.add(colour);
  }
  return new Map(domain.map((label) => [label, colours.get(label) ?? classColour(label)]));
}

function isKnown(label: string): boolean {
  return label.toLowerCase() in CLASS_COLOURS || label === "unclassified";
}

/** A Vega-Lite colour scale that gives each class the same colour on every chart, distinct within it. */
export function classColourScale(labels: Iterable<string>): { domain: string[]; range: string[] } {
  const colours = classColours(labels);
  return { domain: [...colours.keys()], range: [...colours.values()] };
}

/** Below this confidence a prediction needs a closer look. */
export const LOW_CONFIDENCE = 0.7;

export function isLowConfidence(confidence: number | null | undefined): boolean {
  return confidence !== null && confidence !== undefined && confidence < LOW_CONFIDENCE;
}

export function formatPercent(fraction: number | null | undefined, digits = 0): string {
  return fraction === null || fraction === undefined ? "—" : `${(fraction * 100).toFixed(digits)}%`;
}
