import type { ImageSummary } from "../../shared/api/types";
import { isLowConfidence } from "../../shared/classes";
import { galleryClass } from "../gallery/gallery";

export type SortKey = "uploaded_at" | "filename" | "label" | "confidence" | "status";
export type ResultsView = {
  label: string;
  lowConfidenceOnly: boolean;
  /** Only cells whose predicted class changed at the last refit. */
  changedOnly: boolean;
  sort: SortKey;
  order: "asc" | "desc";
};

export const DEFAULT_VIEW: ResultsView = {
  label: "",
  lowConfidenceOnly: false,
  changedOnly: false,
  sort: "uploaded_at",
  order: "asc",
};

function compare(a: ImageSummary, b: ImageSummary, key: SortKey): number {
  const left = a[key];
  const right = b[key];
  // Cells without a value (still waiting, or failed) go last whatever the order.
  if (left === null || left === undefined) return right === null || right === undefined ? 0 : 1;
  if (right === null || right === undefined) return -1;
  if (typeof left === "number" && typeof right === "number") return left - right;
  return String(left).localeCompare(String(right), undefined, { numeric: true });
}

/**
 * The class the lab differential counts a cell under (its lab label: a person's, else the prediction), or
 * null when it does not count it (not classified, or flagged as not a usable cell and not confirmed). The
 * table's class filter uses it, so filtering by a class lists exactly the cells the differential counts.
 */
export function countedAs(image: ImageSummary): string | null {
  return image.counted === false ? null : galleryClass(image);
}

/** The cells to show, filtered by class and confidence and sorted as the user asked. */
export function applyView(images: readonly ImageSummary[], view: ResultsView): ImageSummary[] {
  const shown = images.filter(
    (image) =>
      (!view.label || countedAs(image) === view.label) &&
      (!view.lowConfidenceOnly || image.needs_review || isLowConfidence(image.confidence)) &&
      (!view.changedOnly || image.changed),
  );
  const direction = view.order === "asc" ? 1 : -1;
  return shown.sort((a, b) => {
    const missingA = a[view.sort] === null || a[view.sort] === undefined;
    const missingB = b[view.sort] === null || b[view.sort] === undefined;
    if (missingA || missingB) return compare(a, b, view.sort);
    return direction * compare(a, b, view.sort) || a.filename.localeCompare(b.filename);
  });
}

export function countByStatus(images: readonly ImageSummary[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const image of images) counts[image.status] = (counts[image.status] ?? 0) + 1;
  return counts;
}
