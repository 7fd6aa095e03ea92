import { describe, expect, it } from "vitest";
import { labClasses } from "../../shared/classNames";
import { classNames, imageSummary } from "../../test/factories";
import {
  arrowTarget,
  classForKey,
  clickSelect,
  confirmable,
  extendSelect,
  galleryGroups,
  galleryOrder,
  NO_SELECTION,
  type Selection,
  toggleSelect,
} from "./gallery";

const { inReportOrder } = labClasses(classNames);
const ids = ["a", "b", "c", "d", "e"];
const selected = (state: Selection) => [...state.selected].sort();

describe("gallery groups", () => {
  const images = [
    imageSummary("n1", { label: "neutrophil", lab_label: "neutrophil" }),
    imageSummary("l1", { label: "lymphocyte", lab_label: "lymphocyte" }),
    // Predicted neutrophil, the lab said ig: shown (and counted) as ig.
    imageSummary("n2", { label: "neutrophil", lab_label: "ig", reviewed_label: "ig" }),
    imageSummary("p1", { label: "platelet", lab_label: "platelet" }),
    imageSummary("w", { status: "pending" }),
  ];

  it("groups cells under their lab label in the lab's report order, empty classes included", () => {
    const groups = galleryGroups(images, ["basophil", "lymphocyte", "neutrophil", "platelet"], inReportOrder);
    expect(groups.map((group) => [group.code, group.cells.map((cell) => cell.id)])).toEqual([
      ["neutrophil", ["n1"]],
      ["lymphocyte", ["l1"]],
      ["basophil", []],
      ["ig", ["n2"]],
      ["platelet", ["p1"]],
    ]);
    expect(galleryOrder(groups).map((cell) => cell.id)).toEqual(["n1", "l1", "n2", "p1"]);
  });

  it("confirms only cells seen and still without a lab label", () => {
    const [neutrophils] = galleryGroups(
      [...images, imageSummary("n3", { label: "neutrophil" }), imageSummary("n4", { label: "neutrophil" })],
      [],
      inReportOrder,
    );
    expect(neutrophils.cells.map((cell) => cell.id)).toEqual(["n1", "n3", "n4"]);
    expect(confirmable(neutrophils, new Set(["n1", "n4", "l1"]))).toEqual(["n1", "n4"]);
    const reviewed = {
      ...neutrophils,
      cells: [imageSummary("r", { label: "neutrophil", reviewed_label: "x" })],
    };
    expect(confirmable(reviewed, new Set(["r"]))).toEqual([]);
  });
});

describe("gallery selection", () => {
  it("selects one cell per click, toggles with ctrl/cmd and selects a range with shift", () => {
    let state = clickSelect(NO_SELECTION, ids, "b", { shift: false, toggle: false });
    expect(selected(state)).toEqual(["b"]);
    state = clickSelect(state, ids, "d", { shift: true, toggle: false });
    expect(selected(state)).toEqual(["b", "c", "d"]);
    state = clickSelect(state, ids, "c", { shift: false, toggle: true });
    expect(selected(state)).toEqual(["b", "d"]);
    // Shift after ctrl: the range from the new anchor (c), added to what is selected with ctrl held.
    state = clickSelect(state, ids, "e", { shift: true, toggle: true });
    expect(selected(state)).toEqual(["b", "c", "d", "e"]);
    state = clickSelect(state, ids, "a", { shift: false, toggle: false });
    expect(selected(state)).toEqual(["a"]);
  });

  it("toggles with space and extends from the anchor with shift+arrow, in either direction", () => {
    let state = toggleSelect(NO_SELECTION, "c");
    state = toggleSelect(state, "e");
    expect(selected(state)).toEqual(["c", "e"]);
    state = toggleSelect(state, "e");
    expect(selected(state)).toEqual(["c"]);
    state = extendSelect({ selected: new Set(), anchor: null }, ids, "b", "c");
    expect(selected(state)).toEqual(["b", "c"]);
    state = extendSelect(state, ids, "c", "a");
    expect(selected(state)).toEqual(["a", "b"]);
  });

  it("moves the focus by rows on screen with up/down and along the order with left/right", () => {
    // Two rows of three: a b c / d e, and f alone in the next group's row.
    const at: Record<string, { x: number; y: number }> = {
      a: { x: 0, y: 0 },
      b: { x: 100, y: 0 },
      c: { x: 200, y: 0 },
      d: { x: 0, y: 100 },
      e: { x: 100, y: 100 },
      f: { x: 0, y: 250 },
    };
    const order = Object.keys(at);
    const position = (id: string) => at[id] ?? null;
    expect(arrowTarget(order, "b", "ArrowDown", position)).toBe("e");
    expect(arrowTarget(order, "c", "ArrowDown", position)).toBe("e");
    expect(arrowTarget(order, "e", "ArrowDown", position)).toBe("f");
    expect(arrowTarget(order, "e", "ArrowUp", position)).toBe("b");
    expect(arrowTarget(order, "c", "ArrowRight", position)).toBe("d");
    expect(arrowTarget(order, "a", "ArrowLeft", position)).toBe("a");
    expect(arrowTarget(order, "f", "ArrowDown", position)).toBe("f");
    // Without a layout (no positions) up/down step through the order.
    expect(arrowTarget(order, "b", "ArrowDown", () => null)).toBe("c");
  });

  it("maps number keys 1..9 to the classes in the order shown", () => {
    const shown = ["neutrophil", "lymphocyte", "monocyte"];
    expect(classForKey("1", shown)).toBe("neutrophil");
    expect(classForKey("3", shown)).toBe("monocyte");
    expect(classForKey("4", shown)).toBeNull();
    expect(classForKey("0", shown)).toBeNull();
    expect(classForKey("a", shown)).toBeNull();
  });
});
