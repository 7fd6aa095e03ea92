// The labelling queue's screen state as one reducer: which cell is shown, the class picked for it,
// what was labelled in this batch, and the hint under the save button. Pure, tested without a browser.

export type QueueState = {
  /** Which batch the index belongs to: a new batch starts at its first cell. */
  batch: string;
  index: number;
  /** The class picked for the shown cell (by click or key), not yet saved. */
  picked: string | null;
  /** Cells labelled in this visit: image id → the label saved. */
  done: Record<string, string>;
  /** The newest label change (its id), whose refit status is shown. */
  lastChange: string | null;
  hint: string | null;
  /** The label set got a classifier while the queue was open (its 409 turned into a queue). */
  gotClassifier: boolean;
};

export type QueueAction =
  | { type: "batch"; batch: string }
  | { type: "move"; step: number; count: number }
  | { type: "pick"; label: string }
  | { type: "hint"; hint: string | null }
  | { type: "saved"; imageId: string; label: string; changeId: string; count: number }
  | { type: "changed"; changeId: string }
  | { type: "gotClassifier" };

export function initialQueueState(batch: string): QueueState {
  return { batch, index: 0, picked: null, done: {}, lastChange: null, hint: null, gotClassifier: false };
}

function moved(state: QueueState, step: number, count: number): QueueState {
  const index = Math.max(0, Math.min(count - 1, state.index + step));
  return { ...state, index, picked: null, hint: null };
}

export function queueReducer(state: QueueState, action: QueueAction): QueueState {
  switch (action.type) {
    case "batch":
      return action.batch === state.batch ? state : { ...state, batch: action.batch, index: 0, picked: null };
    case "move":
      return moved(state, action.step, action.count);
    case "pick":
      return { ...state, picked: action.label };
    case "hint":
      return { ...state, hint: action.hint };
    case "saved":
      return moved(
        { ...state, done: { ...state.done, [action.imageId]: action.label }, lastChange: action.changeId },
        1,
        action.count,
      );
    case "changed":
      return { ...state, lastChange: action.changeId };
    case "gotClassifier":
      return state.gotClassifier ? state : { ...state, gotClassifier: true };
  }
}
