// Pure helpers of the review loop (corrections, labelling queue, label sets), tested without a browser.
import type { LabelEvent, LabelSet, QueueStrategy } from "../api/types";

export const STRATEGIES: { value: QueueStrategy; title: string; hint: string }[] = [
  {
    value: "auto",
    title: "Automatic",
    hint: "a new lab's first labels spread over its kinds of cells, then uncertainty",
  },
  {
    value: "lab",
    title: "New lab",
    hint: "one cell per cluster of the lab's cells first, then smallest margin",
  },
  { value: "uncertainty", title: "Uncertainty", hint: "lowest top probability first" },
  { value: "margin", title: "Margin", hint: "smallest gap between the two best classes first" },
  { value: "entropy", title: "Entropy", hint: "most spread-out probabilities first" },
  { value: "random", title: "Random", hint: "a random sample" },
  { value: "cst", title: "CST", hint: "confident cells to confirm in bulk" },
  { value: "cst+al", title: "CST + AL", hint: "confident cells to confirm in bulk, the rest by margin" },
];

export const DEFAULT_BATCH_SIZE = 90;

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

/**
 * The changes that can be undone now: per label set, the newest change that is not an undo and has not
 * been undone (history comes oldest first).
 */
export function undoableChanges(history: LabelEvent[]): Set<string> {
  const latest = new Map<string, string>();
  for (const event of history) {
    if (event.action !== "undo" && !event.undone_by) latest.set(event.label_set, event.id);
  }
  return new Set(latest.values());
}

/** Words for one entry of a cell's label history. */
export function describeChange(event: LabelEvent): string {
  const set = labelSetName(event.label_set);
  const label = event.label ?? "no label";
  if (event.action === "undo") return `${set}: undone, back to ${label}`;
  if (event.action === "confirm") return `${set}: confirmed ${label}`;
  return event.previous_label ? `${set}: ${event.previous_label} → ${label}` : `${set}: set to ${label}`;
}

/** Splits a class list typed as commas or one per line; trims, drops blanks and repeats. */
export function parseClasses(text: string): string[] {
  const classes = text
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter(Boolean);
  return [...new Set(classes)];
}

export type QueueKeyAction =
  | { kind: "pick"; index: number }
  | { kind: "confirm" }
  | { kind: "next" }
  | { kind: "previous" };

/** Keyboard shortcuts of the labelling queue: 1–9 pick a class, Enter confirms, arrows move. */
export function queueKeyAction(key: string, classCount: number): QueueKeyAction | null {
  if (/^[1-9]$/.test(key)) {
    const index = Number(key) - 1;
    return index < classCount ? { kind: "pick", index } : null;
  }
  if (key === "Enter") return { kind: "confirm" };
  if (key === "ArrowRight" || key === "ArrowDown") return { kind: "next" };
  if (key === "ArrowLeft" || key === "ArrowUp") return { kind: "previous" };
  return null;
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
