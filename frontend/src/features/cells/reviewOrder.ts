// Which cells a case's review steps through, and in what order: that of the view the user came from.
import type { ImageSummary } from "../../shared/api/types";
import { galleryGroups, galleryOrder } from "../gallery/gallery";
import { applyView, DEFAULT_VIEW, type ResultsView, type SortKey } from "./results";

export type ViewMode = "gallery" | "table";

/** The case's review view in the URL: the gallery unless `view=table`. */
export function viewMode(params: URLSearchParams): ViewMode {
  return params.get("view") === "table" ? "table" : "gallery";
}

/** The table's filter and sort, as the URL keeps them (so a filtered view is a link and survives Back). */
export function tableView(params: URLSearchParams): ResultsView {
  return {
    label: params.get("class") ?? DEFAULT_VIEW.label,
    lowConfidenceOnly: params.get("low") === "1",
    changedOnly: params.get("changed") === "1",
    sort: (params.get("sort") as SortKey | null) ?? DEFAULT_VIEW.sort,
    order: params.get("order") === "desc" ? "desc" : "asc",
  };
}

/** The search part of a cell's link from a view: the view and its filter/sort go along, for the pager. */
export function cellSearch(params: URLSearchParams, mode: ViewMode): string {
  const search = new URLSearchParams(params);
  search.set("view", mode);
  return `?${search.toString()}`;
}

/**
 * The cells the pager steps through. From the gallery: gallery order (class by class in the lab's report
 * order); from the table: its filter and sort; without a view (a deep link): upload order. The cell shown
 * stays in the list even when a correction took it out of the filter, so previous/next still work.
 */
export function reviewOrder(
  images: readonly ImageSummary[],
  params: URLSearchParams,
  current: string,
  gallery: { classes: readonly string[]; inReportOrder: (codes: Iterable<string>) => string[] },
): ImageSummary[] {
  const view = params.get("view");
  if (view === "gallery") return galleryOrder(galleryGroups(images, gallery.classes, gallery.inReportOrder));
  if (view !== "table") return [...images].sort((a, b) => a.uploaded_at.localeCompare(b.uploaded_at));
  const filtered = tableView(params);
  const shown = new Set(applyView(images, filtered).map((image) => image.id));
  const kept = images.filter((image) => shown.has(image.id) || image.id === current);
  return applyView(kept, { ...filtered, label: "", lowConfidenceOnly: false, changedOnly: false });
}
