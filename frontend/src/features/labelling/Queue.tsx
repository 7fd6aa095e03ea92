import { ErrorAlert } from "../../shared/components/ErrorAlert";
import { Loading } from "../../shared/components/Loading";
import { RefitStatus } from "../label-sets/RefitStatus";
import { BulkConfirm } from "./BulkConfirm";
import type { QueueSettings } from "./labelling";
import { QueueCellCard } from "./QueueCellCard";
import { QueueNotices } from "./QueueNotices";
import { useLabellingQueue } from "./useLabellingQueue";
import { useQueueKeys } from "./useQueueKeys";

/** One batch of the labelling queue: notices, summary, bulk confirmation and the cell to label. */
export function Queue({
  projectId,
  settings,
  classes,
  loads,
}: {
  projectId: string;
  settings: QueueSettings;
  classes: string[];
  /** Goes up each time "Load queue" is pressed: the same settings then ask for a fresh batch. */
  loads: number;
}) {
  const labelling = useLabellingQueue(projectId, settings, classes, loads);
  useQueueKeys(classes, labelling);
  const { queue, images, noClassifier, items, current, state } = labelling;

  if (queue.isPending || (noClassifier && images.isPending)) return <Loading what="queue" />;
  if (queue.isError && !noClassifier)
    return <ErrorAlert error={queue.error} onRetry={() => queue.refetch()} />;
  const showBulk = settings.strategy === "cst" || settings.strategy === "cst+al";
  const labelledCount = Object.keys(state.done).length;

  return (
    <>
      {state.lastChange && <RefitStatus key={state.lastChange} name={settings.labelSet} afterChange />}
      <QueueNotices settings={settings} queue={labelling} />
      <div className="d-flex flex-wrap align-items-center gap-2 mb-3">
        <span data-testid="queue-summary">
          {queue.data
            ? `${queue.data.candidates} unlabelled ${queue.data.candidates === 1 ? "cell" : "cells"} with a prediction; ${items.length} to review`
            : `${items.length} cells`}
          {labelledCount > 0 && `, ${labelledCount} labelled now`}
        </span>
        <button
          type="button"
          className="btn btn-sm btn-outline-secondary ms-auto"
          onClick={() => queue.refetch()}
        >
          Load next batch
        </button>
      </div>
      {showBulk && queue.data && (
        <BulkConfirm
          key={queue.dataUpdatedAt}
          labelSet={settings.labelSet}
          items={queue.data.confirm}
          onDone={() => labelling.changed(`bulk-${Date.now()}`)}
        />
      )}
      {current ? (
        <QueueCellCard
          projectId={projectId}
          labelSet={settings.labelSet}
          classes={classes}
          current={current}
          queue={labelling}
        />
      ) : (
        <p className="text-secondary" role="status">
          Nothing to review in this batch{showBulk ? " by hand" : ""}.
        </p>
      )}
    </>
  );
}
