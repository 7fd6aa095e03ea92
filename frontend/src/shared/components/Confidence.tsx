import { formatPercent, isLowConfidence } from "../classes";

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
