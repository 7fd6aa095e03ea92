// Pure helpers of the labelling queue (settings, strategies, keyboard shortcuts), tested without a browser.
import type { QueueStrategy } from "../../shared/api/types";

/** What the queue form asks for. */
export type QueueSettings = { labelSet: string; strategy: QueueStrategy; size: number };
/** A cell to label: from the queue, or (before a label set has a classifier) from the project's cells. */

export type QueueCellItem = {
  image_id: string;
  filename: string;
  label: string | null;
  confidence: number | null;
};

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
