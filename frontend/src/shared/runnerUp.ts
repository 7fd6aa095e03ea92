/** The class the model ranked second: how close the call was reads better as "91 % · runner-up band 6 %". */
export type RunnerUp = { label: string; probability: number };

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
