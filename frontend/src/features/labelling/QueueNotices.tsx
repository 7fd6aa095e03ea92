import { errorMessage } from "../../shared/api/errors";
import { labelSetName } from "../label-sets/labelSets";
import { type QueueSettings, STRATEGIES } from "./labelling";
import type { LabellingQueue } from "./useLabellingQueue";

/** Why the queue shows the project's cells instead (no classifier yet), or that a classifier arrived. */
export function QueueNotices({ settings, queue }: { settings: QueueSettings; queue: LabellingQueue }) {
  const { noClassifier, labelSet, state } = queue;
  // Why there is no classifier: the queue's 409 was true when it was asked; after a label the refit
  // status above says what is still missing, in fresher words.
  const noClassifierReason = state.lastChange
    ? null
    : (labelSet.data?.status === "needs_labels" && labelSet.data.message) || errorMessage(queue.queue.error);
  return (
    <>
      {noClassifier && (
        <div className="alert alert-secondary" role="status" data-testid="queue-no-classifier">
          {labelSetName(settings.labelSet)} has no classifier yet
          {noClassifierReason ? ` (${noClassifierReason})` : ""}. Showing the project's cells in upload order:
          label cells of at least two classes; the queue appears here once the classifier is ready.
        </div>
      )}
      {state.gotClassifier && !noClassifier && queue.queue.data && (
        <div className="alert alert-success py-2" role="status" data-testid="queue-got-classifier">
          {labelSetName(settings.labelSet)} now has a classifier: the cells below are its queue (
          {STRATEGIES.find((strategy) => strategy.value === settings.strategy)?.hint}).
        </div>
      )}
    </>
  );
}
