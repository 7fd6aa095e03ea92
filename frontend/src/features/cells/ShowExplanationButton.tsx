import type { Explanation } from "./useExplanation";

/** The "Show explanation" button: asks once, then the progress and the layer's controls take its place. */
export function ShowExplanationButton({ explanation }: { explanation: Explanation }) {
  if (explanation.requested && !explanation.error) {
    return (
      <button type="button" className="btn btn-sm btn-outline-secondary" onClick={explanation.hide}>
        Hide explanation
      </button>
    );
  }
  return (
    <button
      type="button"
      className="btn btn-sm btn-outline-primary"
      disabled={explanation.asking}
      onClick={explanation.request}
    >
      {explanation.error ? "Try the explanation again" : "Show explanation"}
    </button>
  );
}
