import { type KeyboardEvent, type PointerEvent, useEffect, useLayoutEffect, useRef, useState } from "react";

/** Magnifications of the cell view: 1× fits the whole image in the frame. */
export const ZOOM_LEVELS = [1, 2, 4] as const;
/** One arrow key press moves the view by this share of the frame. */
const PAN_STEP = 0.1;

type Offset = { x: number; y: number };

/** Keeps the magnified image covering the frame: at zoom z it may move (z − 1) / 2 frames each way. */
export function clampPan(offset: Offset, zoom: number, size: number): Offset {
  const limit = ((zoom - 1) / 2) * size;
  const clamp = (value: number) => Math.max(-limit, Math.min(limit, value));
  return { x: clamp(offset.x), y: clamp(offset.y) };
}

/**
 * Zoom and pan of the cell view, by buttons, the mouse wheel, dragging and the keyboard (+ / − zoom,
 * arrows move, 0 resets), so that every way of looking closer also works without a mouse.
 */
export function useZoomPan() {
  const frame = useRef<HTMLDivElement>(null);
  const [level, setLevel] = useState(0);
  const [pan, setPan] = useState<Offset>({ x: 0, y: 0 });
  const drag = useRef<{ x: number; y: number } | null>(null);
  const zoom = ZOOM_LEVELS[level];
  const size = () => frame.current?.clientWidth ?? 0;

  const zoomTo = (next: number) => {
    const bounded = Math.max(0, Math.min(ZOOM_LEVELS.length - 1, next));
    setLevel(bounded);
    setPan((current) => clampPan(current, ZOOM_LEVELS[bounded], size()));
  };
  const panBy = (dx: number, dy: number) =>
    setPan((current) => clampPan({ x: current.x + dx, y: current.y + dy }, zoom, size()));

  // The wheel listener must not be passive (it keeps the page from scrolling), which React's onWheel is.
  const latestZoomTo = useRef(zoomTo);
  const latestLevel = useRef(level);
  useLayoutEffect(() => {
    latestZoomTo.current = zoomTo;
    latestLevel.current = level;
  });
  useEffect(() => {
    const element = frame.current;
    if (!element) return;
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      latestZoomTo.current(latestLevel.current + (event.deltaY < 0 ? 1 : -1));
    };
    element.addEventListener("wheel", onWheel, { passive: false });
    return () => element.removeEventListener("wheel", onWheel);
  }, []);

  const onKeyDown = (event: KeyboardEvent) => {
    const step = PAN_STEP * size();
    const moves: Record<string, () => void> = {
      "+": () => zoomTo(level + 1),
      "=": () => zoomTo(level + 1),
      "-": () => zoomTo(level - 1),
      "0": () => zoomTo(0),
      ArrowLeft: () => panBy(step, 0),
      ArrowRight: () => panBy(-step, 0),
      ArrowUp: () => panBy(0, step),
      ArrowDown: () => panBy(0, -step),
    };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    move();
  };
  const onPointerDown = (event: PointerEvent) => {
    if (zoom === 1) return;
    drag.current = { x: event.clientX, y: event.clientY };
    event.currentTarget.setPointerCapture?.(event.pointerId);
  };
  const onPointerMove = (event: PointerEvent) => {
    if (!drag.current) return;
    panBy(event.clientX - drag.current.x, event.clientY - drag.current.y);
    drag.current = { x: event.clientX, y: event.clientY };
  };
  const onPointerUp = () => {
    drag.current = null;
  };
  return {
    frame,
    level,
    zoom,
    pan,
    zoomTo,
    handlers: { onKeyDown, onPointerDown, onPointerMove, onPointerUp, onPointerCancel: onPointerUp },
  };
}
