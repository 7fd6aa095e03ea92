import type { ImageSummary } from "../../shared/api/types";
import { formatPercent, isLowConfidence } from "../../shared/classes";

/** At most this many flagged cells are printed (two rows on A4): the report stays one page. */
export const MAX_PRINTED_FLAGGED = 16;

export type FlaggedCell = { image: ImageSummary; why: string };

/** Why the model sent a cell to a person: low confidence, else its nearest reference cells disagree. */
function reviewReason(image: ImageSummary): string {
  if (isLowConfidence(image.confidence) || image.neighbours_agree === null) {
    return `low confidence (${formatPercent(image.confidence)})`;
  }
  return `${Math.round((image.neighbours_agree ?? 0) * 10)} of 10 neighbours agree`;
}

/**
 * The cells a report lists for a second look, by the API report's rule: not reviewed yet, and flagged as not
 * a usable cell (unless someone confirmed it), or sent to a person (low confidence or neighbours disagree).
 */
export function flaggedCells(images: ImageSummary[]): FlaggedCell[] {
  const flagged: FlaggedCell[] = [];
  for (const image of images) {
    if (image.status !== "done" || image.reviewed_label) continue;
    if (image.unusable && !image.usable_confirmed)
      flagged.push({ image, why: `unusable: ${image.unusable}` });
    else if (image.needs_review) flagged.push({ image, why: reviewReason(image) });
  }
  return flagged;
}
