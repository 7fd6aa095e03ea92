import { useLabClassName } from "../../shared/classNames";
import { type RunnerUp, runnerUpWords } from "../../shared/runnerUp";

/** "runner-up band 6%" under a probability: how close the second class came. */
export function RunnerUpNote({ second }: { second: RunnerUp | null }) {
  const nameOf = useLabClassName();
  if (!second) return null;
  return <div className="small text-secondary">{runnerUpWords(second, nameOf)}</div>;
}
