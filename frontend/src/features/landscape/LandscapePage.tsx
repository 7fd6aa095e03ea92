import { type KeyboardEvent, useCallback, useMemo, useRef, useState } from "react";
import { useNavigate, useParams } from "react-router";
import type { View } from "vega";
import { useLandscape } from "../../shared/api/queries";
import { landscapeSpec } from "../../shared/charts/specs";
import { formatPercent } from "../../shared/classes";
import { useLabClassName } from "../../shared/classNames";
import { ErrorAlert } from "../../shared/components/ErrorAlert";
import { Loading } from "../../shared/components/Loading";
import { VegaChart } from "../../shared/components/VegaChart";
import { HoverCard } from "./HoverCard";
import { type Hover, pointOf, screenPosition, stepFor } from "./landscapeView";

export type Point = {
  kind: "reference" | "cell";
  label: string;
  reference_id?: string;
  image_id?: string;
  confidence?: number | null;
};

export function LandscapePage() {
  const { projectId = "" } = useParams();
  const landscape = useLandscape(projectId);
  const navigate = useNavigate();
  const [hover, setHover] = useState<Hover | null>(null);
  const [resets, setResets] = useState(0);
  const [focused, setFocused] = useState<number | null>(null);
  const viewRef = useRef<View | null>(null);
  const frameRef = useRef<HTMLDivElement>(null);
  const nameOf = useLabClassName();
  const spec = useMemo(
    () => (landscape.data ? landscapeSpec(landscape.data, nameOf) : null),
    [landscape.data, nameOf],
  );
  const leftToRight = useMemo(
    () => [...(landscape.data?.cells ?? [])].sort((a, b) => a.x - b.x || a.y - b.y),
    [landscape.data],
  );

  const focusCell = useCallback(
    (index: number | null) => {
      setFocused(index);
      const view = viewRef.current;
      const frame = frameRef.current;
      const cell = index === null ? undefined : leftToRight[index];
      const at = cell && view && frame ? screenPosition(view, frame, cell) : null;
      setHover(cell && at ? { point: { ...cell, kind: "cell" }, ...at } : null);
    },
    [leftToRight],
  );

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const cell = focused === null ? undefined : leftToRight[focused];
    if (event.key === "Enter" && cell) {
      navigate(`/projects/${projectId}/cells/${cell.image_id}`);
      return;
    }
    const next = stepFor(event.key, focused, leftToRight.length);
    if (next === undefined) return;
    event.preventDefault();
    focusCell(next);
  };

  const onView = useCallback(
    (view: View) => {
      viewRef.current = view;
      view.addEventListener("mousemove", (event, item) => {
        setFocused(null);
        const point = pointOf(item);
        const mouse = event as MouseEvent;
        const frame = frameRef.current;
        const box = frame?.getBoundingClientRect();
        setHover(
          point && frame && box
            ? {
                point,
                x: mouse.clientX - box.left - frame.clientLeft,
                y: mouse.clientY - box.top - frame.clientTop,
              }
            : null,
        );
      });
      view.addEventListener("mouseout", () => setHover(null));
      view.addEventListener("click", (_event, item) => {
        const point = pointOf(item);
        if (point?.kind === "cell") navigate(`/projects/${projectId}/cells/${point.image_id}`);
      });
    },
    [navigate, projectId],
  );

  if (landscape.isPending) return <Loading what="landscape" />;
  if (landscape.isError) return <ErrorAlert error={landscape.error} onRetry={() => landscape.refetch()} />;
  const data = landscape.data;
  const placed = data.cells.length;

  return (
    <section aria-labelledby="landscape-title">
      <div className="d-flex flex-wrap align-items-center gap-2 mb-1">
        <h2 className="h5 mb-0" id="landscape-title">
          Morphological landscape
        </h2>
        <button
          type="button"
          className="btn btn-sm btn-outline-secondary ms-auto"
          onClick={() => setResets((n) => n + 1)}
        >
          Reset view
        </button>
      </div>
      <p className="small text-secondary mb-2">
        t-SNE map of {data.references.length} reference cells (dots) coloured by class, with this project's{" "}
        {placed} classified cells on top (outlined diamonds). Drag to pan, scroll to zoom, double-click to
        reset; hover a point to see the cell, click a diamond to open it. With the keyboard: focus the map,
        step through this project's cells with the arrow keys (left to right), Enter opens the cell.
      </p>
      <div
        ref={frameRef}
        className="landscape card card-body p-2"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a composite widget with its own arrow-key navigation
        tabIndex={0}
        role="application"
        aria-label="Landscape map: arrow keys step through this project's cells, Enter opens one"
        onKeyDown={onKeyDown}
        onBlur={() => focusCell(null)}
      >
        {spec && (
          <VegaChart
            key={resets}
            spec={spec}
            renderer="canvas"
            onView={onView}
            className="w-100"
            label={`Landscape of ${data.references.length} reference cells and ${placed} cells of this project`}
          />
        )}
        {hover && <HoverCard hover={hover} modelVersion={data.model_version} />}
        {focused !== null && hover && (
          <div className="landscape-focus" style={{ left: hover.x, top: hover.y }} aria-hidden="true" />
        )}
      </div>
      <p className="visually-hidden" aria-live="polite" data-testid="landscape-announcement">
        {focused !== null && leftToRight[focused]
          ? `Cell ${focused + 1} of ${leftToRight.length} from the left: ${nameOf(leftToRight[focused].label)}, ` +
            `confidence ${formatPercent(leftToRight[focused].confidence)}. Enter opens it.`
          : ""}
      </p>
      <p className="small text-secondary mt-2">
        Model version <code>{data.model_version ?? "—"}</code>. Cells far from any reference cluster, or
        inside a cluster of another class than their predicted class, deserve a second look.
      </p>
    </section>
  );
}
