import { errorMessage } from "../../shared/api/errors";
import { useImageLabels, useUndoLabel } from "../../shared/api/queries";
import { useLabClassName } from "../../shared/classNames";
import { ErrorAlert } from "../../shared/components/ErrorAlert";
import { Loading } from "../../shared/components/Loading";
import { describeChange, undoableChanges } from "./labelChanges";

export function LabelHistory({ imageId }: { imageId: string }) {
  const labels = useImageLabels(imageId);
  const undo = useUndoLabel();
  const nameOf = useLabClassName();
  if (labels.isPending) return <Loading what="label history" />;
  if (labels.isError) return <ErrorAlert error={labels.error} onRetry={() => labels.refetch()} />;
  const history = labels.data.history;
  if (history.length === 0) {
    return <p className="text-secondary small">Nobody has labelled this cell yet.</p>;
  }
  const undoable = undoableChanges(history);
  return (
    <>
      <ol className="list-group list-group-flush small label-history" reversed aria-label="Label history">
        {[...history].reverse().map((event) => (
          <li
            key={event.id}
            className="list-group-item d-flex flex-wrap align-items-center gap-2 px-0"
            data-testid="label-event"
          >
            <span className={event.undone_by ? "text-decoration-line-through text-secondary" : undefined}>
              {describeChange(event, nameOf)}
            </span>
            <span className="text-secondary">
              by {event.username}, {new Date(event.created_at).toLocaleString()}
            </span>
            {undoable.has(event.id) && (
              <button
                type="button"
                className="btn btn-sm btn-outline-secondary ms-auto"
                disabled={undo.isPending}
                onClick={() => undo.mutate(event.id)}
                aria-label={`Undo: ${describeChange(event, nameOf)}`}
              >
                Undo
              </button>
            )}
          </li>
        ))}
      </ol>
      {undo.isError && (
        <div className="small text-danger" role="alert">
          Not undone: {errorMessage(undo.error)}
        </div>
      )}
    </>
  );
}
