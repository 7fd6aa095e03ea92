import { errorMessage } from "../../shared/api/errors";
import { useBulkLabel } from "../../shared/api/queries";
import type { QueueItem } from "../../shared/api/types";
import { formatPercent } from "../../shared/classes";
import { useLabClassName } from "../../shared/classNames";
import { AuthImage } from "../../shared/components/AuthImage";
import { ClassLabel } from "../../shared/components/ClassLabel";
import { runnerUpOf, runnerUpWords } from "../../shared/runnerUp";

/** The confident predictions of a CST batch, confirmed in one request. */
export function BulkConfirm({
  labelSet,
  items,
  onDone,
}: {
  labelSet: string;
  items: QueueItem[];
  onDone: () => void;
}) {
  const bulk = useBulkLabel();
  const nameOf = useLabClassName();
  if (items.length === 0) {
    return <p className="text-secondary">No cell is confident enough for bulk confirmation.</p>;
  }
  return (
    <section className="card card-body mb-3" aria-labelledby="bulk-title">
      <div className="d-flex flex-wrap align-items-center gap-2 mb-2">
        <h3 className="h6 mb-0" id="bulk-title">
          Confident predictions ({items.length})
        </h3>
        <button
          type="button"
          className="btn btn-success btn-sm ms-auto"
          disabled={bulk.isPending || bulk.isSuccess}
          onClick={() =>
            bulk.mutate(
              {
                label_set: labelSet,
                action: "confirm",
                items: items.map((item) => ({ image_id: item.image_id })),
              },
              { onSuccess: onDone },
            )
          }
        >
          Confirm all shown ({items.length})
        </button>
      </div>
      <ul className="list-unstyled d-flex flex-wrap gap-2 mb-0" aria-label="Cells to confirm">
        {items.map((item) => (
          <li key={item.image_id} className="card p-1 small text-center bulk-cell">
            <AuthImage
              src={`/api/v1/images/${item.image_id}/file`}
              alt={`${item.filename}: ${nameOf(item.label)}`}
              className="cell-image"
              width={80}
              height={80}
            />
            <ClassLabel label={item.label} />
            <span className="text-secondary">{formatPercent(item.confidence)}</span>
            {item.runner_up && (
              <span className="text-secondary text-truncate" title="the class the model ranked second">
                {runnerUpWords(runnerUpOf(item), nameOf)}
              </span>
            )}
          </li>
        ))}
      </ul>
      <div aria-live="polite">
        {bulk.isSuccess && (
          <div className="small text-success mt-2" role="status">
            {bulk.data.length} {bulk.data.length === 1 ? "cell" : "cells"} confirmed.
          </div>
        )}
        {bulk.isError && (
          <div className="small text-danger mt-2" role="alert">
            Nothing was confirmed: {errorMessage(bulk.error)}
          </div>
        )}
      </div>
    </section>
  );
}
