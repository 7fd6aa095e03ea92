import type { View } from "vega";
import type { Landscape } from "../../shared/api/types";
import { isLowConfidence } from "../../shared/classes";
import type { Point } from "./LandscapePage";

export type Hover = { point: Point; x: number; y: number };

export type LandscapeCell = Landscape["cells"][number];
type CellPoint = Pick<LandscapeCell, "image_id" | "x" | "y">;

/** How the map draws a cell of the case: reviewed (square), flagged for a person (triangle) or neither (diamond). */
export type CellMark = "predicted" | "flagged" | "reviewed";

/** Below this share of the nearest reference cells agreeing, the grid flags a cell (as the API's needs_review). */
const NEIGHBOUR_AGREEMENT = 0.8;

/** Why a cell is flagged, in words; null when it is not (a reviewed cell is no longer flagged). */
export function flagReason(cell: LandscapeCell): string | null {
  if (cell.reviewed_label) return null;
  if (cell.unusable && !cell.usable_confirmed) return `unusable (${cell.unusable})`;
  if (!cell.needs_review) return null;
  if (isLowConfidence(cell.confidence)) return "low confidence";
  if (cell.neighbours_agree !== null && cell.neighbours_agree !== undefined) {
    if (cell.neighbours_agree < NEIGHBOUR_AGREEMENT) return "flagged by its neighbours";
  }
  return "needs review";
}

export function cellMark(cell: LandscapeCell): CellMark {
  if (cell.reviewed_label) return "reviewed";
  return flagReason(cell) ? "flagged" : "predicted";
}

/** What the map shows: classes ticked in the legend, reference cells or only the case, marks to highlight. */
export type LandscapeFilters = {
  hidden: readonly string[];
  onlyThisCase: boolean;
  highlight: readonly CellMark[];
};

export const NO_FILTERS: LandscapeFilters = { hidden: [], onlyThisCase: false, highlight: [] };

/** The points left on the map by the filters (cells without a class count as "unclassified"). */
export function visiblePoints<T extends Pick<Landscape, "references" | "cells">>(
  data: T,
  filters: LandscapeFilters,
): Pick<Landscape, "references" | "cells"> {
  const hidden = new Set(filters.hidden);
  return {
    references: filters.onlyThisCase ? [] : data.references.filter((point) => !hidden.has(point.label)),
    cells: data.cells.filter((cell) => !hidden.has(cell.label ?? "unclassified")),
  };
}

/** Every class on the map, with how many of the case's cells and reference cells it has. */
export function classCounts(
  data: Pick<Landscape, "references" | "cells">,
): { label: string; cells: number; references: number }[] {
  const counts = new Map<string, { label: string; cells: number; references: number }>();
  const entry = (label: string) => {
    const found = counts.get(label) ?? { label, cells: 0, references: 0 };
    counts.set(label, found);
    return found;
  };
  for (const point of data.references) entry(point.label).references += 1;
  for (const cell of data.cells) entry(cell.label ?? "unclassified").cells += 1;
  return [...counts.values()].sort((a, b) => a.label.localeCompare(b.label));
}

/** Where a cell is drawn now (after pan and zoom), in pixels from the top left of `frame`. */
export function screenPosition(
  view: View,
  frame: HTMLElement,
  cell: CellPoint,
): { x: number; y: number } | null {
  // Measured from the canvas itself (not its wrapper) and from the frame's padding box, where
  // absolutely positioned children start: the ring lands on the diamond, not a border's width off.
  const canvas = view.container()?.querySelector("canvas");
  if (!canvas) return null;
  // Vega draws at padding + origin (view.origin() leaves the padding out).
  const [originX, originY] = view.origin();
  const padding = view.padding();
  const padLeft = typeof padding === "number" ? padding : (padding.left ?? 0);
  const padTop = typeof padding === "number" ? padding : (padding.top ?? 0);
  const drawn = canvas.getBoundingClientRect();
  const box = frame.getBoundingClientRect();
  return {
    x: drawn.left - box.left - frame.clientLeft + padLeft + originX + view.scale("x")(cell.x),
    y: drawn.top - box.top - frame.clientTop + padTop + originY + view.scale("y")(cell.y),
  };
}

/** Keys that step through the project's cells on the map (left to right) for keyboard users. */
export function stepFor(key: string, current: number | null, count: number): number | null | undefined {
  if (count === 0) return undefined;
  switch (key) {
    case "ArrowRight":
    case "ArrowDown":
      return current === null ? 0 : Math.min(current + 1, count - 1);
    case "ArrowLeft":
    case "ArrowUp":
      return current === null ? 0 : Math.max(current - 1, 0);
    case "Home":
      return 0;
    case "End":
      return count - 1;
    case "Escape":
      return null;
    default:
      return undefined;
  }
}

export function pointOf(item: unknown): Point | null {
  const datum = (item as { datum?: Point } | null)?.datum;
  return datum && (datum.kind === "reference" || datum.kind === "cell") ? datum : null;
}
