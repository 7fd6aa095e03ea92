import { useEffect, useMemo, useReducer, useRef } from "react";
import { ApiError } from "../../shared/api/errors";
import { useImages, useLabelImage, useLabelQueue, useLabelSet } from "../../shared/api/queries";
import { hasClassifier } from "../label-sets/labelSets";
import type { QueueCellItem, QueueSettings } from "./labelling";
import { initialQueueState, queueReducer } from "./queueState";

/**
 * The labelling queue of one label set, strategy and size: the server's queue (or, before the label set
 * has a classifier, the project's cells in upload order), the cell shown, and the actions on it.
 *
 * `loads` goes up each time "Load queue" is pressed: the same settings then ask for a fresh batch.
 */
export function useLabellingQueue(
  projectId: string,
  settings: QueueSettings,
  classes: string[],
  loads: number,
) {
  const queue = useLabelQueue(settings.labelSet, settings.strategy, settings.size, projectId);
  const { refetch } = queue; // stable for the life of the query observer
  // Without a classifier the label set has no queue (409): label the project's cells in upload order.
  const noClassifier = queue.error instanceof ApiError && queue.error.status === 409;
  // The queue is cached until asked again (it must not reorder under the reviewer), so its 409 would
  // outlive the classifier: ask again once the label set's refit has produced one (the label set is
  // polled while it updates, by RefitStatus after each label and by the label sets page).
  const labelSet = useLabelSet(settings.labelSet);
  const classifierReady = hasClassifier(labelSet.data);
  const images = useImages(projectId);
  const label = useLabelImage();
  const batch = `${queue.dataUpdatedAt}/${noClassifier}`;
  const [state, dispatch] = useReducer(queueReducer, batch, initialQueueState);

  useEffect(() => {
    if (noClassifier && classifierReady) {
      dispatch({ type: "gotClassifier" });
      refetch();
    }
  }, [noClassifier, classifierReady, refetch]);

  const mountedLoads = useRef(loads);
  useEffect(() => {
    if (loads !== mountedLoads.current) refetch();
  }, [loads, refetch]);

  // A new batch starts at its first cell.
  useEffect(() => {
    dispatch({ type: "batch", batch });
  }, [batch]);

  const items: QueueCellItem[] = useMemo(() => {
    if (noClassifier) {
      return (images.data ?? [])
        .filter((image) => image.status === "done")
        .slice(0, settings.size)
        .map((image) => ({ image_id: image.id, filename: image.filename, label: null, confidence: null }));
    }
    return queue.data?.review ?? [];
  }, [noClassifier, images.data, queue.data, settings.size]);

  const count = items.length;
  const position = Math.min(state.index, count - 1);
  const current: QueueCellItem | undefined = items[position];

  function move(step: number) {
    dispatch({ type: "move", step, count });
  }

  function pick(picked: string) {
    dispatch({ type: "pick", label: picked });
  }

  function save() {
    if (!current || label.isPending) return;
    if (!state.picked && !current.label) {
      dispatch({ type: "hint", hint: `Pick a class first (keys 1–${Math.min(9, classes.length)}).` });
      return;
    }
    dispatch({ type: "hint", hint: null });
    const item = current;
    label.mutate(
      state.picked
        ? { imageId: item.image_id, label_set: settings.labelSet, action: "set", label: state.picked }
        : { imageId: item.image_id, label_set: settings.labelSet, action: "confirm" },
      {
        onSuccess: (event) =>
          dispatch({
            type: "saved",
            imageId: item.image_id,
            label: event.label ?? "",
            changeId: event.id,
            count,
          }),
      },
    );
  }

  /** A change made elsewhere on the page (the bulk confirmation): its refit status is shown. */
  function changed(changeId: string) {
    dispatch({ type: "changed", changeId });
  }

  return {
    queue,
    images,
    labelSet,
    label,
    noClassifier,
    items,
    position,
    current,
    state,
    move,
    pick,
    save,
    changed,
  };
}

export type LabellingQueue = ReturnType<typeof useLabellingQueue>;
