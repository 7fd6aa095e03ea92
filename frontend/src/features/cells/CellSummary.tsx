import type { ImageDetail } from "../../shared/api/types";
import { ClassLabel } from "../../shared/components/ClassLabel";
import { Confidence } from "../../shared/components/Confidence";
import { runnerUp } from "../../shared/runnerUp";

/** The call in one glance: predicted class, confidence with the runner-up, the lab's label and who set it when. */
export function CellSummary({ cell }: { cell: ImageDetail }) {
  const result = cell.result;
  if (!result) return null;
  const second = runnerUp(result.probabilities?.[result.label_set], result.label);
  return (
    <dl className="cell-summary mb-2">
      <div>
        <dt>Predicted</dt>
        <dd className="fs-5" data-testid="cell-label">
          <ClassLabel label={result.label} />
        </dd>
      </div>
      <div>
        <dt>Confidence</dt>
        <dd data-testid="cell-confidence">
          <Confidence value={result.confidence} runnerUp={second} />
        </dd>
      </div>
      <div>
        <dt>Lab label</dt>
        <dd data-testid="cell-reviewed">
          {cell.reviewed_label ? (
            <>
              <ClassLabel label={cell.reviewed_label} />{" "}
              <span className="small text-secondary">
                by {cell.reviewed_by ?? "unknown"}
                {cell.reviewed_at && `, ${new Date(cell.reviewed_at).toLocaleString()}`}
              </span>
            </>
          ) : (
            <span className="text-secondary">not reviewed yet</span>
          )}
        </dd>
      </div>
    </dl>
  );
}
