import { errorMessage } from "../../shared/api/errors";
import { useLabClassName } from "../../shared/classNames";
import { type Explanation, explanationError } from "./useExplanation";

const METHOD_NAMES: Record<string, string> = {
  "gradcam++": "GradCAM++",
  occlusion: "occlusion map",
};

/** Progress while the worker computes the heatmap, then its opacity and a legend in words; errors in words. */
export function ExplanationControls({
  explanation,
  predicted,
  opacity,
  onOpacity,
}: {
  explanation: Explanation;
  predicted: string;
  opacity: number;
  onOpacity: (value: number) => void;
}) {
  const nameOf = useLabClassName();
  if (explanation.error) {
    return (
      <div className="alert alert-warning small py-2 mt-2 mb-0" role="alert">
        No explanation: {explanationError(errorMessage(explanation.error))}
      </div>
    );
  }
  const progress = explanation.progress;
  if (explanation.asking || (explanation.requested && progress?.status !== "done")) {
    return (
      <div className="small mt-2" role="status" data-testid="explanation-progress">
        <span className="spinner-border spinner-border-sm me-2" aria-hidden="true" />
        {progress?.status === "running"
          ? "A worker is computing the heatmap…"
          : "Waiting for a worker to compute the heatmap (a few seconds)…"}
      </div>
    );
  }
  if (progress?.status !== "done") return null;
  const method = METHOD_NAMES[progress.method ?? ""] ?? progress.method ?? "heatmap";
  return (
    <div className="small mt-2 explanation-legend" data-testid="explanation-legend">
      <label className="d-flex align-items-center gap-2 mb-1">
        Heatmap opacity
        <input
          type="range"
          className="form-range flex-grow-1"
          min={0}
          max={100}
          value={Math.round(opacity * 100)}
          onChange={(event) => onOpacity(Number(event.target.value) / 100)}
        />
        <span className="text-secondary">{Math.round(opacity * 100)}%</span>
      </label>
      <div className="d-flex align-items-center gap-2">
        <span className="text-secondary">looked at least</span>
        <span className="heat-scale flex-grow-1" aria-hidden="true" />
        <span className="text-secondary">most</span>
      </div>
      <p className="mb-0 mt-1">
        Where the encoder looked ({method}): the brighter, the more that part of the image made this cell
        resemble its nearest reference cells of class <strong>{nameOf(predicted)}</strong>. Outside the
        coloured square the encoder saw nothing.
      </p>
    </div>
  );
}
