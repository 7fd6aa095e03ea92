import { describe, expect, it } from "vitest";
import { runnerUp } from "./runnerUp";

describe("runnerUp", () => {
  it("is the most probable class other than the prediction", () => {
    expect(runnerUp({ neutrophil: 0.91, band: 0.06, ig: 0.03 }, "neutrophil")).toEqual({
      label: "band",
      probability: 0.06,
    });
  });

  it("is nothing when there is no other class", () => {
    expect(runnerUp({ neutrophil: 1 }, "neutrophil")).toBeNull();
    expect(runnerUp(undefined, "neutrophil")).toBeNull();
  });
});
