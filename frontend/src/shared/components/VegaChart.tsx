import { useEffect, useRef, useState } from "react";
import type { View } from "vega";
import type { TopLevelSpec } from "vega-lite";

type Props = {
  spec: TopLevelSpec;
  /** Words for screen readers: what the chart shows. */
  label: string;
  onView?: (view: View) => void;
  className?: string;
  renderer?: "svg" | "canvas";
};

/** Renders a Vega-Lite spec; vega-embed is loaded on first use so the first page stays light. */
export function VegaChart({ spec, label, onView, className, renderer = "svg" }: Props) {
  const container = useRef<HTMLDivElement>(null);
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(() => {
    let view: View | undefined;
    let cancelled = false;
    (async () => {
      try {
        const { default: embed } = await import("vega-embed");
        if (cancelled || !container.current) return;
        // ast: Vega expressions run in its interpreter, not through `new Function`, so the CSP needs no unsafe-eval.
        const result = await embed(container.current, spec, { actions: false, renderer, ast: true });
        view = result.view;
        if (cancelled) view.finalize();
        else onView?.(view);
      } catch (error) {
        if (!cancelled) setFailure(error instanceof Error ? error.message : String(error));
      }
    })();
    return () => {
      cancelled = true;
      view?.finalize();
    };
  }, [spec, onView, renderer]);

  if (failure) return <div className="alert alert-warning">The chart could not be drawn: {failure}</div>;
  // vega-embed relabels its own element, so the words for screen readers sit on a wrapper.
  return (
    <div className={className} role="img" aria-label={label}>
      <div ref={container} className="w-100" />
    </div>
  );
}
