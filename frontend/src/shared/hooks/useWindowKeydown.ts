import { useEffect, useLayoutEffect, useRef } from "react";

/**
 * Calls the newest `onKeyDown` for every keydown on the window. The listener is added once per mount
 * and reads the handler through a ref, so a handler that closes over fresh state each render does not
 * re-subscribe each render.
 */
export function useWindowKeydown(onKeyDown: (event: KeyboardEvent) => void): void {
  const latest = useRef(onKeyDown);
  useLayoutEffect(() => {
    latest.current = onKeyDown;
  });
  useEffect(() => {
    const listener = (event: KeyboardEvent) => latest.current(event);
    window.addEventListener("keydown", listener);
    return () => window.removeEventListener("keydown", listener);
  }, []);
}
