import { formatPercent } from "./classes";

/** The class the model ranked second: how close the call was reads better as "91 % · runner-up band 6 %". */
export type RunnerUp = { label: string; probability: number };

/** The runner-up as the API's list fields carry it (`runner_up`, `runner_up_probability`), or null. */
export function runnerUpOf(item: {
  runner_up?: string | null;
  runner_up_probability?: number | null;
}): RunnerUp | null {
  if (!item.runner_up || item.runner_up_probability === null || item.runner_up_probability === undefined)
    return null;
  return { label: item.runner_up, probability: item.runner_up_probability };
}

export function runnerUp(
  probabilities: Record<string, number> | null | undefined,
  predicted: string | null | undefined,
): RunnerUp | null {
  let best: RunnerUp | null = null;
  for (const [label, probability] of Object.entries(probabilities ?? {})) {
    if (label === predicted) continue;
    if (best === null || probability > best.probability) best = { label, probability };
  }
  return best;
}

/** The runner-up in words, "runner-up Band 6%" (empty without one): one phrasing wherever a confidence is shown. */
export function runnerUpWords(second: RunnerUp | null, nameOf: (code: string) => string): string {
  return second ? `runner-up ${nameOf(second.label)} ${formatPercent(second.probability)}` : "";
}
