import type { View } from "vega";
import type { Point } from "./LandscapePage";

export type Hover = { point: Point; x: number; y: number };

type CellPoint = { image_id: string; x: number; y: number; label: string; confidence: number };

/** Where a cell is drawn now (after pan and zoom), in pixels from the top left of `frame`. */
export function screenPosition(
  view: View,
  frame: HTMLElement,
  cell: CellPoint,
): { x: number; y: number } | null {
  // Measured from the canvas itself (not its wrapper) and from the frame's padding box, where
  // absolutely positioned children start: the ring lands on the diamond, not a border's width off.
  const canvas = view.container()?.querySelector("canvas");
  if (!canvas) return null;
  // Vega draws at padding + origin (view.origin() leaves the padding out).
  const [originX, originY] = view.origin();
  const padding = view.padding();
  const padLeft = typeof padding === "number" ? padding : (padding.left ?? 0);
  const padTop = typeof padding === "number" ? padding : (padding.top ?? 0);
  const drawn = canvas.getBoundingClientRect();
  const box = frame.getBoundingClientRect();
  return {
    x: drawn.left - box.left - frame.clientLeft + padLeft + originX + view.scale("x")(cell.x),
    y: drawn.top - box.top - frame.clientTop + padTop + originY + view.scale("y")(cell.y),
  };
}

/** Keys that step through the project's cells on the map (left to right) for keyboard users. */
export function stepFor(key: string, current: number | null, count: number): number | null | undefined {
  if (count === 0) return undefined;
  switch (key) {
    case "ArrowRight":
    case "ArrowDown":
      return current === null ? 0 : Math.min(current + 1, count - 1);
    case "ArrowLeft":
    case "ArrowUp":
      return current === null ? 0 : Math.max(current - 1, 0);
    case "Home":
      return 0;
    case "End":
      return count - 1;
    case "Escape":
      return null;
    default:
      return undefined;
  }
}

export function pointOf(item: unknown): Point | null {
  const datum = (item as { datum?: Point } | null)?.datum;
  return datum && (datum.kind === "reference" || datum.kind === "cell") ? datum : null;
}
