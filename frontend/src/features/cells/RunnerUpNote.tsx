import { className, formatPercent } from "../../shared/classes";
import type { RunnerUp } from "../../shared/runnerUp";

/** "runner-up band 6%" under a probability: how close the second class came. */
export function RunnerUpNote({ second }: { second: RunnerUp | null }) {
  if (!second) return null;
  return (
    <div className="small text-secondary">
      runner-up {className(second.label)} {formatPercent(second.probability)}
    </div>
  );
}
