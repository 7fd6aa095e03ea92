import { useCallback, useEffect, useRef, useState } from "react";

/** Share of a thumbnail that must have been on screen for the cell to count as seen. */
const SEEN_THRESHOLD = 0.6;

/**
 * The cells whose thumbnails have been on screen. "Confirm these cells" confirms only these: a cell that was
 * never rendered (a group not expanded) or never scrolled into view is not confirmed by a click on its group.
 * A browser without IntersectionObserver counts a rendered thumbnail as seen.
 */
export function useSeenCells(): {
  seen: ReadonlySet<string>;
  watch: (id: string, element: HTMLElement | null) => void;
} {
  const [seen, setSeen] = useState<ReadonlySet<string>>(new Set());
  const observer = useRef<IntersectionObserver | null>(null);
  const elements = useRef(new Map<string, HTMLElement>());

  const markSeen = useCallback((ids: string[]) => {
    if (ids.length === 0) return;
    setSeen((current) => (ids.every((id) => current.has(id)) ? current : new Set([...current, ...ids])));
  }, []);

  const getObserver = useCallback(() => {
    if (observer.current || typeof IntersectionObserver === "undefined") return observer.current;
    observer.current = new IntersectionObserver(
      (entries) =>
        markSeen(
          entries
            .filter((entry) => entry.isIntersecting && entry.intersectionRatio >= SEEN_THRESHOLD)
            .map((entry) => (entry.target as HTMLElement).dataset.cellId ?? "")
            .filter(Boolean),
        ),
      { threshold: [SEEN_THRESHOLD] },
    );
    return observer.current;
  }, [markSeen]);

  useEffect(() => () => observer.current?.disconnect(), []);

  const watch = useCallback(
    (id: string, element: HTMLElement | null) => {
      const known = elements.current.get(id);
      if (known === element) return;
      const io = getObserver();
      if (known) io?.unobserve(known);
      if (!element) {
        elements.current.delete(id);
        return;
      }
      elements.current.set(id, element);
      if (io) io.observe(element);
      else queueMicrotask(() => markSeen([id]));
    },
    [getObserver, markSeen],
  );
  return { seen, watch };
}
