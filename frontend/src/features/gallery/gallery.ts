// Pure logic of the cell gallery (groups, order, selection, keyboard moves), tested without a browser.
import type { ImageSummary } from "../../shared/api/types";
import { isLowConfidence } from "../../shared/classes";

/** The class a cell is shown under: the lab's label (a person's, else the prediction), as the differential counts it. */
export function galleryClass(image: ImageSummary): string | null {
  return image.status === "done" ? (image.lab_label ?? image.label ?? null) : null;
}

export type GalleryGroup = { code: string; cells: ImageSummary[] };

/**
 * One group per class, in the lab's report order: every class of the label set (an empty one is still a
 * target to reclassify into) and any other class a cell carries; cells in upload order inside a group.
 */
export function galleryGroups(
  images: readonly ImageSummary[],
  classes: readonly string[],
  inReportOrder: (codes: Iterable<string>) => string[],
): GalleryGroup[] {
  const byClass = new Map<string, ImageSummary[]>();
  for (const image of images) {
    const code = galleryClass(image);
    if (code === null) continue;
    byClass.set(code, [...(byClass.get(code) ?? []), image]);
  }
  return inReportOrder([...classes, ...byClass.keys()]).map((code) => ({
    code,
    cells: byClass.get(code) ?? [],
  }));
}

/** The cells in the order the gallery shows them: group after group. */
export function galleryOrder(groups: readonly GalleryGroup[]): ImageSummary[] {
  return groups.flatMap((group) => group.cells);
}

export type CellMarks = { lowConfidence: boolean; flagged: boolean; changed: boolean; reviewed: boolean };

/** What the gallery marks on a thumbnail; the same fields the table highlights. */
export function cellMarks(image: ImageSummary): CellMarks {
  return {
    lowConfidence: !image.reviewed_label && (image.needs_review || isLowConfidence(image.confidence)),
    flagged: !!image.unusable && !image.usable_confirmed,
    changed: image.changed,
    reviewed: !!image.reviewed_label,
  };
}

/** The cells of a group that "Confirm" may confirm: seen, and still without a lab label. */
export function confirmable(group: GalleryGroup, seen: ReadonlySet<string>): string[] {
  return group.cells.filter((cell) => seen.has(cell.id) && !cell.reviewed_label).map((cell) => cell.id);
}

export type Selection = { selected: ReadonlySet<string>; anchor: string | null };
export const NO_SELECTION: Selection = { selected: new Set(), anchor: null };

/** The ids from `from` to `to` (either order) in `order`. */
export function range(order: readonly string[], from: string, to: string): string[] {
  const a = order.indexOf(from);
  const b = order.indexOf(to);
  if (a < 0 || b < 0) return [to];
  return order.slice(Math.min(a, b), Math.max(a, b) + 1);
}

/**
 * A click on `id`: alone it selects just that cell; with ctrl/cmd it toggles it; with shift it selects the
 * range from the last clicked cell (the anchor), added to the selection when ctrl/cmd is held too.
 */
export function clickSelect(
  state: Selection,
  order: readonly string[],
  id: string,
  keys: { shift: boolean; toggle: boolean },
): Selection {
  if (keys.shift && state.anchor !== null) {
    const base = keys.toggle ? [...state.selected] : [];
    return { selected: new Set([...base, ...range(order, state.anchor, id)]), anchor: state.anchor };
  }
  if (keys.toggle) {
    const selected = new Set(state.selected);
    if (selected.has(id)) selected.delete(id);
    else selected.add(id);
    return { selected, anchor: id };
  }
  return { selected: new Set([id]), anchor: id };
}

/** Space on the focused cell: toggles it, keeping the rest of the selection. */
export function toggleSelect(state: Selection, id: string): Selection {
  return clickSelect(state, [], id, { shift: false, toggle: true });
}

/** Shift+arrow: the selection becomes the range from the anchor (or the cell left) to the cell reached. */
export function extendSelect(
  state: Selection,
  order: readonly string[],
  from: string,
  to: string,
): Selection {
  const anchor = state.anchor ?? from;
  return { selected: new Set(range(order, anchor, to)), anchor };
}

export type Point = { x: number; y: number };

/**
 * The cell an arrow key moves the focus to. Left/right: the previous/next cell in gallery order (across
 * groups). Up/down: the cell of the nearest row above/below on screen, closest in x; where there is no
 * such row (the top or the bottom, or no layout at all), the previous/next cell.
 */
export function arrowTarget(
  order: readonly string[],
  current: string,
  key: "ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown",
  positionOf: (id: string) => Point | null,
): string {
  const index = order.indexOf(current);
  if (index < 0) return order[0] ?? current;
  const step = key === "ArrowLeft" || key === "ArrowUp" ? -1 : 1;
  const fallback = order[Math.min(order.length - 1, Math.max(0, index + step))];
  if (key === "ArrowLeft" || key === "ArrowRight") return fallback;
  const here = positionOf(current);
  if (!here) return fallback;
  let best: { id: string; dy: number; dx: number } | null = null;
  for (const id of order) {
    const there = positionOf(id);
    if (!there || id === current) continue;
    const dy = (there.y - here.y) * step;
    if (dy <= 1) continue; // same row, or the wrong direction
    const dx = Math.abs(there.x - here.x);
    if (!best || dy < best.dy - 1 || (Math.abs(dy - best.dy) <= 1 && dx < best.dx)) best = { id, dy, dx };
  }
  return best?.id ?? fallback;
}

/** The class a number key 1..9 stands for, in the order the gallery shows the classes (null: no such class). */
export function classForKey(key: string, classes: readonly string[]): string | null {
  if (!/^[1-9]$/.test(key)) return null;
  return classes[Number(key) - 1] ?? null;
}
