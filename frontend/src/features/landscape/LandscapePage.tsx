import { type KeyboardEvent, useCallback, useMemo, useRef, useState } from "react";
import { useNavigate, useParams } from "react-router";
import type { View } from "vega";
import { useLandscape } from "../../shared/api/queries";
import { landscapeSpec } from "../../shared/charts/specs";
import { classColours, formatPercent } from "../../shared/classes";
import { useLabClassName } from "../../shared/classNames";
import { ErrorAlert } from "../../shared/components/ErrorAlert";
import { Loading } from "../../shared/components/Loading";
import { VegaChart } from "../../shared/components/VegaChart";
import { HoverCard } from "./HoverCard";
import { LandscapeFilters } from "./LandscapeFilters";
import {
  type CellMark,
  cellMark,
  classCounts,
  flagReason,
  type Hover,
  type LandscapeCell,
  NO_FILTERS,
  pointOf,
  screenPosition,
  stepFor,
  visiblePoints,
} from "./landscapeView";

export type Point = {
  kind: "reference" | "cell";
  label: string;
  reference_id?: string;
  image_id?: string;
  confidence?: number | null;
  mark?: CellMark;
  flag?: string | null;
  reviewed_label?: string | null;
  runner_up?: string | null;
  runner_up_probability?: number | null;
};

/** A cell of the case as the map and its hover card show it. */
function cellPoint(cell: LandscapeCell) {
  return { ...cell, kind: "cell" as const, mark: cellMark(cell), flag: flagReason(cell) };
}

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
  const [filters, setFilters] = useState(NO_FILTERS);
  const counts = useMemo(() => (landscape.data ? classCounts(landscape.data) : []), [landscape.data]);
  const colours = useMemo(() => classColours(counts.map((item) => item.label)), [counts]);
  const shown = useMemo(
    () => (landscape.data ? visiblePoints(landscape.data, filters) : null),
    [landscape.data, filters],
  );
  const cells = useMemo(() => (shown?.cells ?? []).map(cellPoint), [shown]);
  const spec = useMemo(
    () =>
      shown
        ? landscapeSpec({ references: shown.references, cells }, nameOf, {
            classes: [...colours.keys()],
            highlight: filters.highlight,
          })
        : null,
    [shown, cells, colours, filters.highlight, nameOf],
  );
  const marks = useMemo(() => {
    const all = (landscape.data?.cells ?? []).map(cellMark);
    const count = (mark: CellMark) => all.filter((item) => item === mark).length;
    return { predicted: count("predicted"), flagged: count("flagged"), reviewed: count("reviewed") };
  }, [landscape.data]);
  const leftToRight = useMemo(() => [...cells].sort((a, b) => a.x - b.x || a.y - b.y), [cells]);

  const focusCell = useCallback(
    (index: number | null) => {
      setFocused(index);
      const view = viewRef.current;
      const frame = frameRef.current;
      const cell = index === null ? undefined : leftToRight[index];
      const at = cell && view && frame ? screenPosition(view, frame, cell) : null;
      setHover(cell && at ? { point: cell, ...at } : null);
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

  const current = focused === null ? undefined : leftToRight[focused];
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
        {placed} classified cells on top (outlined markers; their shape tells flagged and reviewed cells
        apart). Drag to pan, scroll to zoom, double-click to reset; hover a point to see the cell, click a
        marker to open it. With the keyboard: focus the map, step through this project's cells with the arrow
        keys (left to right), Enter opens the cell.
      </p>
      <div className="landscape-layout">
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
              label={`Landscape of ${shown?.references.length ?? 0} reference cells and ${cells.length} cells of this project`}
            />
          )}
          {hover && <HoverCard hover={hover} modelVersion={data.model_version} />}
          {focused !== null && hover && (
            <div className="landscape-focus" style={{ left: hover.x, top: hover.y }} aria-hidden="true" />
          )}
        </div>
        <LandscapeFilters
          filters={filters}
          onChange={(next) => {
            focusCell(null);
            setFilters(next);
          }}
          classes={counts}
          colours={colours}
          marks={marks}
        />
      </div>
      <p className="visually-hidden" aria-live="polite" data-testid="landscape-announcement">
        {current
          ? `Cell ${(focused ?? 0) + 1} of ${leftToRight.length} from the left: ${nameOf(current.label)}, ` +
            `confidence ${formatPercent(current.confidence)}. Enter opens it.` +
            (current.flag ? ` Flagged: ${current.flag}.` : "") +
            (current.reviewed_label ? ` Reviewed: ${nameOf(current.reviewed_label)}.` : "")
          : ""}
      </p>
      <p className="small text-secondary mt-2">
        Model version <code>{data.model_version ?? "—"}</code>. Cells far from any reference cluster, or
        inside a cluster of another class than their predicted class, deserve a second look.
      </p>
    </section>
  );
}
