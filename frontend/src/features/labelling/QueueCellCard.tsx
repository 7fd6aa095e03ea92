import { Link } from "react-router";
import { errorMessage } from "../../shared/api/errors";
import { useLabClassName } from "../../shared/classNames";
import type { QueueCellItem } from "./labelling";
import { QueueCell } from "./QueueCell";
import { QueueShortcuts } from "./QueueShortcuts";
import type { LabellingQueue } from "./useLabellingQueue";

/** The shown cell with previous / next, the save button and the shortcuts. */
export function QueueCellCard({
  projectId,
  labelSet,
  classes,
  current,
  queue,
}: {
  projectId: string;
  labelSet: string;
  classes: string[];
  current: QueueCellItem;
  queue: LabellingQueue;
}) {
  const { items, position, state, label, move, pick, save } = queue;
  const { picked, hint } = state;
  const nameOf = useLabClassName();
  return (
    <section className="card card-body" aria-labelledby="queue-cell-title" data-testid="queue-cell">
      <div className="d-flex flex-wrap align-items-center gap-2 mb-3">
        <h2 className="h5 mb-0" id="queue-cell-title">
          Cell {position + 1} of {items.length}
        </h2>
        <div className="btn-group btn-group-sm ms-auto">
          <button
            type="button"
            className="btn btn-outline-secondary"
            disabled={state.index <= 0}
            onClick={() => move(-1)}
          >
            ← Previous
          </button>
          <button
            type="button"
            className="btn btn-outline-secondary"
            disabled={state.index >= items.length - 1}
            onClick={() => move(1)}
          >
            Next →
          </button>
        </div>
        <Link className="btn btn-sm btn-link" to={`/projects/${projectId}/cells/${current.image_id}`}>
          Open cell page
        </Link>
      </div>
      <QueueCell
        key={current.image_id}
        item={current}
        labelSet={labelSet}
        classes={classes}
        picked={picked}
        done={state.done[current.image_id]}
        onPick={pick}
      />
      <div className="d-flex flex-wrap align-items-center gap-2 mt-3">
        <button type="button" className="btn btn-success" disabled={label.isPending} onClick={save}>
          {picked ? `Save as ${nameOf(picked)}` : current.label ? `Confirm ${nameOf(current.label)}` : "Save"}{" "}
          <kbd>Enter</kbd>
        </button>
        <div aria-live="polite">
          {hint && (
            <span className="text-warning-emphasis small" role="status">
              {hint}
            </span>
          )}
          {label.isError && (
            <span className="text-danger small" role="alert">
              Not saved: {errorMessage(label.error)}
            </span>
          )}
        </div>
      </div>
      <QueueShortcuts classCount={classes.length} />
    </section>
  );
}
