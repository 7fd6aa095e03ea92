import type { ReactNode } from "react";
import { AuthImage } from "../../shared/components/AuthImage";
import { useZoomPan, ZOOM_LEVELS } from "./useZoomPan";

export type HeatmapLayer = { src: string; opacity: number };

/**
 * The cell large, zoomable to 2× and 4× and movable when zoomed; the explanation's heatmap, a layer in
 * the image's own frame, lies over it and moves with it. `tools` sit beside the zoom buttons.
 */
export function CellViewer({
  src,
  alt,
  heatmap,
  tools,
}: {
  src: string;
  alt: string;
  heatmap?: HeatmapLayer | null;
  tools?: ReactNode;
}) {
  const view = useZoomPan();
  return (
    <figure className="cell-viewer mb-0">
      <div className="d-flex flex-wrap align-items-center gap-2 mb-2 no-print">
        <fieldset className="btn-group btn-group-sm" aria-label="Zoom">
          {ZOOM_LEVELS.map((zoom, index) => (
            <button
              key={zoom}
              type="button"
              className={`btn ${view.level === index ? "btn-secondary" : "btn-outline-secondary"}`}
              aria-pressed={view.level === index}
              onClick={() => view.zoomTo(index)}
            >
              {zoom}×
            </button>
          ))}
        </fieldset>
        {tools}
      </div>
      <div
        ref={view.frame}
        className={`cell-viewer-frame${view.zoom > 1 ? " zoomed" : ""}`}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a composite widget with its own zoom and arrow keys
        tabIndex={0}
        role="application"
        aria-label={`${alt}, zoom ${view.zoom}×. Plus and minus zoom, arrow keys move the view, 0 fits it.`}
        data-testid="cell-viewer"
        data-zoom={view.zoom}
        {...view.handlers}
      >
        <div
          className="cell-viewer-content"
          style={{ transform: `translate(${view.pan.x}px, ${view.pan.y}px) scale(${view.zoom})` }}
        >
          <AuthImage src={src} alt={alt} className="cell-viewer-layer" draggable={false} />
          {heatmap && (
            <img
              src={heatmap.src}
              alt=""
              className="cell-viewer-layer"
              style={{ opacity: heatmap.opacity }}
              draggable={false}
              data-testid="explanation-heatmap"
            />
          )}
        </div>
      </div>
    </figure>
  );
}
