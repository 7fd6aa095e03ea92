import type { ImageStatus } from "../api/types";

const STATUS_STYLE: Record<ImageStatus, string> = {
  pending: "text-bg-light border",
  running: "text-bg-info",
  done: "text-bg-success",
  failed: "text-bg-danger",
};

const STATUS_WORDS: Record<ImageStatus, string> = {
  pending: "waiting",
  running: "classifying",
  done: "done",
  failed: "failed",
};

/** A cell's place in the worker's queue, in words and colour. */
export function StatusBadge({ status }: { status: ImageStatus }) {
  return (
    <span className={`badge ${STATUS_STYLE[status] ?? "text-bg-secondary"}`}>
      {STATUS_WORDS[status] ?? status}
    </span>
  );
}
