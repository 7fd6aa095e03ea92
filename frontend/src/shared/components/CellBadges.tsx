import type { ImageStatus } from "../api/types";
import { classColour, className, formatPercent, isLowConfidence } from "../classes";

/** A class name with its chart colour; `swatch={false}` for attribute values, which have no palette. */
export function ClassLabel({ label, swatch = true }: { label: string | null | undefined; swatch?: boolean }) {
  if (!label) return <span className="text-secondary">—</span>;
  return (
    <span className="class-label">
      {swatch && (
        <span className="class-swatch" style={{ background: classColour(label) }} aria-hidden="true" />
      )}
      {className(label)}
    </span>
  );
}

export function Confidence({ value }: { value: number | null | undefined }) {
  if (value === null || value === undefined) return <span className="text-secondary">—</span>;
  const low = isLowConfidence(value);
  return (
    <span className={low ? "fw-semibold text-danger-emphasis" : undefined}>
      {formatPercent(value)}
      {low && <span className="badge text-bg-warning ms-2">low</span>}
    </span>
  );
}

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

export function StatusBadge({ status }: { status: ImageStatus }) {
  return (
    <span className={`badge ${STATUS_STYLE[status] ?? "text-bg-secondary"}`}>
      {STATUS_WORDS[status] ?? status}
    </span>
  );
}
