// Pure helpers of a cell's label history (what can be undone, each change in words), tested without a browser.
import type { LabelEvent } from "../../shared/api/types";
import { labelSetName } from "../label-sets/labelSets";

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

/** Words for one entry of a cell's label history, with the lab's class names (`nameOf`, useLabClassName). */
export function describeChange(event: LabelEvent, nameOf: (code: string) => string): string {
  const set = labelSetName(event.label_set);
  const label = event.label ? nameOf(event.label) : "no label";
  if (event.action === "undo") return `${set}: undone, back to ${label}`;
  if (event.action === "confirm") return `${set}: confirmed ${label}`;
  return event.previous_label
    ? `${set}: ${nameOf(event.previous_label)} → ${label}`
    : `${set}: set to ${label}`;
}
