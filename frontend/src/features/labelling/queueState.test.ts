import { describe, expect, it } from "vitest";
import { initialQueueState, queueReducer } from "./queueState";

describe("labelling queue state", () => {
  it("moves within the batch, dropping the picked class and the hint", () => {
    let state = queueReducer(initialQueueState("b1"), { type: "pick", label: "neutrophil" });
    state = queueReducer(state, { type: "hint", hint: "Pick a class first" });
    state = queueReducer(state, { type: "move", step: 1, count: 3 });
    expect(state).toMatchObject({ index: 1, picked: null, hint: null });
    state = queueReducer(state, { type: "move", step: 5, count: 3 });
    expect(state.index).toBe(2);
    state = queueReducer(state, { type: "move", step: -9, count: 3 });
    expect(state.index).toBe(0);
  });

  it("records a saved label and goes to the next cell", () => {
    let state = queueReducer(initialQueueState("b1"), { type: "pick", label: "lymphocyte" });
    state = queueReducer(state, {
      type: "saved",
      imageId: "a",
      label: "lymphocyte",
      changeId: "e1",
      count: 2,
    });
    expect(state).toMatchObject({ index: 1, picked: null, done: { a: "lymphocyte" }, lastChange: "e1" });
  });

  it("starts a new batch at its first cell and keeps what was labelled", () => {
    let state = queueReducer(initialQueueState("b1"), { type: "move", step: 2, count: 5 });
    state = queueReducer(state, { type: "saved", imageId: "a", label: "x", changeId: "e1", count: 5 });
    state = queueReducer(state, { type: "pick", label: "y" });
    const same = queueReducer(state, { type: "batch", batch: "b1" });
    expect(same).toBe(state);
    const next = queueReducer(state, { type: "batch", batch: "b2" });
    expect(next).toMatchObject({ batch: "b2", index: 0, picked: null, done: { a: "x" } });
  });

  it("notes once that the label set got a classifier", () => {
    const state = queueReducer(initialQueueState("b1"), { type: "gotClassifier" });
    expect(state.gotClassifier).toBe(true);
    expect(queueReducer(state, { type: "gotClassifier" })).toBe(state);
  });
});
