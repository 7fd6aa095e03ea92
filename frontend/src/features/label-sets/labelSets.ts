// Pure helpers of label sets (names and classifier state in words, refits, class lists), tested without a browser.
import type { LabelSet } from "../../shared/api/types";

/** The label set's name as people read it. */
export function labelSetName(name: string): string {
  return name.replaceAll("_", " ");
}

/** The state of a label set's classifier, in words. */
export function labelSetStatusWords(set: Pick<LabelSet, "status" | "updating" | "message">): string {
  if (set.updating) return "Updating classifier…";
  switch (set.status) {
    case "model":
      return "Model's classifier (no lab labels yet)";
    case "ready":
      return "Refitted on the lab's labels";
    case "needs_labels":
      return set.message ?? "Needs labels of at least two classes";
    case "failed":
      return `Refit failed: ${set.message ?? "no reason given"}; the previous classifier stays in use`;
    default:
      return set.status;
  }
}

/** Splits a class list typed as commas or one per line; trims, drops blanks and repeats. */
export function parseClasses(text: string): string[] {
  const classes = text
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter(Boolean);
  return [...new Set(classes)];
}

/** Whether a refit finished between two polls of a label set (results on screen are then stale). */
export function refitFinished(
  before: Pick<LabelSet, "classifier_version" | "updating"> | undefined,
  after: Pick<LabelSet, "classifier_version" | "updating">,
): boolean {
  if (!before) return false;
  if (after.classifier_version !== before.classifier_version) return true;
  return before.updating && !after.updating;
}

/**
 * Whether a label set has a classifier of the active model that has finished scoring (its queue can be
 * asked for): not while a refit is due, not before the first fit of a custom label set. A custom set that
 * still needs labels of some class (status "needs_labels") may already have one: its queue helps find them.
 */
export function hasClassifier(
  set: Pick<LabelSet, "classifier_version" | "updating" | "status"> | undefined,
): boolean {
  if (!set || set.updating) return false;
  if (set.status === "model") return true;
  return set.classifier_version !== null;
}
