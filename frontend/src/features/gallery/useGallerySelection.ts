import { type KeyboardEvent, type MouseEvent, useCallback, useRef, useState } from "react";
import {
  arrowTarget,
  clickSelect,
  extendSelect,
  NO_SELECTION,
  type Point,
  type Selection,
  toggleSelect,
} from "./gallery";

const ARROWS = ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"] as const;
type Arrow = (typeof ARROWS)[number];

/**
 * Selection and focus of the gallery's cells: click, shift-click (range), ctrl/cmd-click (toggle); arrow
 * keys move the focus (one cell in the whole gallery is in the tab order), space toggles, shift+arrow
 * extends, Escape clears, Enter opens the focused cell. `order` is the cells on screen, in gallery order.
 */
export function useGallerySelection(order: readonly string[], open: (id: string) => void) {
  const [selection, setSelection] = useState<Selection>(NO_SELECTION);
  const [focusId, setFocusId] = useState<string | null>(null);
  const elements = useRef(new Map<string, HTMLElement>());
  const current = focusId !== null && order.includes(focusId) ? focusId : (order[0] ?? null);
  // Only cells still on screen count: a cell moved or hidden is not acted on.
  const selected = order.filter((id) => selection.selected.has(id));

  const register = useCallback((id: string, element: HTMLElement | null) => {
    if (element) elements.current.set(id, element);
    else elements.current.delete(id);
  }, []);

  const positionOf = (id: string): Point | null => {
    const rect = elements.current.get(id)?.getBoundingClientRect();
    return rect && (rect.width > 0 || rect.height > 0) ? { x: rect.left, y: rect.top } : null;
  };

  const moveFocus = (id: string) => {
    setFocusId(id);
    elements.current.get(id)?.focus();
  };

  const onClick = (id: string, event: MouseEvent) => {
    setSelection((state) =>
      clickSelect(state, order, id, { shift: event.shiftKey, toggle: event.ctrlKey || event.metaKey }),
    );
    setFocusId(id);
  };

  /** Keys of the focused cell; returns true when the key was the gallery's. */
  const onKeyDown = (id: string, event: KeyboardEvent): boolean => {
    if ((ARROWS as readonly string[]).includes(event.key)) {
      const target = arrowTarget(order, id, event.key as Arrow, positionOf);
      if (event.shiftKey) setSelection((state) => extendSelect(state, order, id, target));
      moveFocus(target);
      return true;
    }
    if (event.key === "Home" || event.key === "End") {
      const target = event.key === "Home" ? order[0] : order[order.length - 1];
      if (target) moveFocus(target);
      return true;
    }
    if (event.key === " ") {
      setSelection((state) => toggleSelect(state, id));
      return true;
    }
    if (event.key === "Escape") {
      setSelection(NO_SELECTION);
      return true;
    }
    if (event.key === "Enter") {
      open(id);
      return true;
    }
    if (event.key.toLowerCase() === "a" && (event.ctrlKey || event.metaKey)) {
      setSelection({ selected: new Set(order), anchor: order[0] ?? null });
      return true;
    }
    return false;
  };

  return {
    selected,
    isSelected: (id: string) => selection.selected.has(id),
    focusId: current,
    register,
    onClick,
    onKeyDown,
    clear: () => setSelection(NO_SELECTION),
    /** What a number key acts on: the selection, else the focused cell. */
    keyTargets: (): string[] => (selected.length ? selected : current ? [current] : []),
    /** What dragging `id` moves: the selection when `id` is in it, else `id` alone. */
    dragTargets: (id: string): string[] => (selection.selected.has(id) ? selected : [id]),
  };
}

export type GallerySelection = ReturnType<typeof useGallerySelection>;
