import { describe, expect, it } from "vitest";
import { queueKeyAction } from "./labelling";

describe("queueKeyAction", () => {
  it("maps number keys to classes that exist", () => {
    expect(queueKeyAction("1", 2)).toEqual({ kind: "pick", index: 0 });
    expect(queueKeyAction("2", 2)).toEqual({ kind: "pick", index: 1 });
    expect(queueKeyAction("3", 2)).toBeNull();
    expect(queueKeyAction("0", 9)).toBeNull();
  });
  it("maps Enter and arrows", () => {
    expect(queueKeyAction("Enter", 2)).toEqual({ kind: "confirm" });
    expect(queueKeyAction("ArrowRight", 2)).toEqual({ kind: "next" });
    expect(queueKeyAction("ArrowLeft", 2)).toEqual({ kind: "previous" });
    expect(queueKeyAction("a", 2)).toBeNull();
  });
});
