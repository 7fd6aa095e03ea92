import { formatPercent, isLowConfidence } from "../classes";
import { useLabClassName } from "../classNames";
import { runnerUpWords } from "../runnerUp";

/** A confidence, marked when low; with `runnerUp`, also the class the model ranked second and its probability. */
export function Confidence({
  value,
  runnerUp,
}: {
  value: number | null | undefined;
  runnerUp?: { label: string; probability: number } | null;
}) {
  const nameOf = useLabClassName();
  if (value === null || value === undefined) return <span className="text-secondary">—</span>;
  const low = isLowConfidence(value);
  return (
    <span className={low ? "fw-semibold text-danger-emphasis" : undefined}>
      {formatPercent(value)}
      {low && <span className="badge text-bg-warning ms-2">low</span>}
      {runnerUp && (
        <span className="text-secondary fw-normal" data-testid="runner-up">
          {" "}
          · {runnerUpWords(runnerUp, nameOf)}
        </span>
      )}
    </span>
  );
}
