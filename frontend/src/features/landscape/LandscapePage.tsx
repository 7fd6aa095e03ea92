import { type KeyboardEvent, useCallback, useMemo, useRef, useState } from "react";
import { useNavigate, useParams } from "react-router";
import type { View } from "vega";
import { useLandscape } from "../../shared/api/queries";
import { landscapeSpec } from "../../shared/charts/specs";
import { className, formatPercent } from "../../shared/classes";
import { AuthImage } from "../../shared/components/AuthImage";
import { ClassLabel } from "../../shared/components/CellBadges";
import { ErrorAlert, Loading } from "../../shared/components/ErrorAlert";
import { VegaChart } from "../../shared/components/VegaChart";

type Point = {
  kind: "reference" | "cell";
  label: string;
  reference_id?: string;
  image_id?: string;
  confidence?: number | null;
};
type Hover = { point: Point; x: number; y: number };
type CellPoint = { image_id: string; x: number; y: number; label: string; confidence: number };

/** Where a cell is drawn now (after pan and zoom), in pixels from the top left of `frame`. */
function screenPosition(view: View, frame: HTMLElement, cell: CellPoint): { x: number; y: number } | null {
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
function stepFor(key: string, current: number | null, count: number): number | null | undefined {
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

function pointOf(item: unknown): Point | null {
  const datum = (item as { datum?: Point } | null)?.datum;
  return datum && (datum.kind === "reference" || datum.kind === "cell") ? datum : null;
}

function HoverCard({ hover, modelVersion }: { hover: Hover; modelVersion: string | null }) {
  const { point } = hover;
  const version = modelVersion ? `?model_version=${encodeURIComponent(modelVersion)}` : "";
  const src =
    point.kind === "cell"
      ? `/api/v1/images/${point.image_id}/thumbnail`
      : `/api/v1/references/${point.reference_id}/thumbnail${version}`;
  return (
    <div
      className="card shadow landscape-hover"
      style={{ left: hover.x + 16, top: hover.y + 16 }}
      aria-hidden="true"
    >
      <AuthImage src={src} alt="" width={112} height={112} className="card-img-top" />
      <div className="card-body p-2 small">
        <div className="fw-semibold">{point.kind === "cell" ? "This project's cell" : "Reference cell"}</div>
        <ClassLabel label={point.label} />
        {point.kind === "cell" && (
          <div className="text-secondary">confidence {formatPercent(point.confidence)}</div>
        )}
        {point.kind === "cell" && <div className="text-secondary">click to open</div>}
      </div>
    </div>
  );
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
  const spec = useMemo(() => (landscape.data ? landscapeSpec(landscape.data) : null), [landscape.data]);
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
          ? `Cell ${focused + 1} of ${leftToRight.length} from the left: ${className(leftToRight[focused].label)}, ` +
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
