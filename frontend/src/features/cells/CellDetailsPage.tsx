import "./cellView.css";
import { useState } from "react";
import { Link, useLocation, useParams } from "react-router";
import { useCapabilities } from "../../shared/api/caseQueries";
import { isWaiting, useImage, useNeighbours } from "../../shared/api/queries";
import { ErrorAlert } from "../../shared/components/ErrorAlert";
import { Loading } from "../../shared/components/Loading";
import { StatusBadge } from "../../shared/components/StatusBadge";
import { CellLabelSets } from "./CellLabelSets";
import { CellPager } from "./CellPager";
import { CellSummary } from "./CellSummary";
import { CellViewer } from "./CellViewer";
import { ExplanationControls } from "./ExplanationControls";
import { LandscapeMiniMap } from "./LandscapeMiniMap";
import { NeighbourGallery } from "./NeighbourGallery";
import { SameScaleCell } from "./SameScaleCell";
import { ShowExplanationButton } from "./ShowExplanationButton";
import { useExplanation } from "./useExplanation";

/** Opacity of the heatmap when it first appears: the cell stays readable under it. */
const DEFAULT_HEATMAP_OPACITY = 0.7;

/**
 * One cell for review: the cell large (zoom, explanation) with its nearest reference cells beside it, both
 * above the fold; below, the label of every label set with corrections and history, and its landscape place.
 */
export function CellDetailsPage() {
  const { projectId = "", imageId = "" } = useParams();
  const image = useImage(imageId);
  const { search } = useLocation();
  const done = image.data?.status === "done";
  const neighbours = useNeighbours(imageId, done);
  const explanation = useExplanation(imageId);
  const canExplain = useCapabilities(projectId).data?.request_explanation === true;
  const [opacity, setOpacity] = useState(DEFAULT_HEATMAP_OPACITY);

  if (image.isPending) return <Loading what="cell" />;
  if (image.isError) return <ErrorAlert error={image.error} onRetry={() => image.refetch()} />;
  const cell = image.data;
  const result = cell.result;
  const heatmapUrl = explanation.progress?.status === "done" ? explanation.progress.url : null;

  return (
    <article aria-labelledby="cell-title">
      <div className="d-flex flex-wrap align-items-center gap-3 mb-2">
        <Link to={`/projects/${projectId}/cells${search}`} className="btn btn-sm btn-outline-secondary">
          ← All cells
        </Link>
        <h2 className="h5 mb-0 text-break" id="cell-title">
          {cell.filename}
        </h2>
        <StatusBadge status={cell.status} />
        <div className="ms-auto">
          <CellPager projectId={projectId} imageId={imageId} />
        </div>
      </div>
      <div className="cell-view">
        <div className="cell-view-main">
          <CellViewer
            key={cell.id}
            src={`/api/v1/images/${cell.id}/file`}
            alt={`Cell image ${cell.filename}`}
            heatmap={heatmapUrl ? { src: heatmapUrl, opacity } : null}
            tools={result && canExplain && <ShowExplanationButton explanation={explanation} />}
          />
          {result && (
            <ExplanationControls
              explanation={explanation}
              predicted={result.label}
              opacity={opacity}
              onOpacity={setOpacity}
            />
          )}
        </div>
        <div className="cell-view-side">
          {isWaiting(cell.status) && (
            <div className="alert alert-info" role="status">
              Waiting for the classifier; this page updates by itself.
            </div>
          )}
          {cell.status === "failed" && (
            <div className="alert alert-danger" role="alert">
              This image could not be classified: {cell.error ?? "no reason given"}.
            </div>
          )}
          <CellSummary cell={cell} />
          {done && (
            <section aria-labelledby="neighbours-title">
              <h3 className="h6 mb-1" id="neighbours-title">
                Nearest reference cells{" "}
                <span className="fw-normal small text-secondary">
                  — labelled cells of the model's reference set that look most alike, with their distance
                  (smaller = more alike); this cell first, at the same scale
                </span>
              </h3>
              {neighbours.isPending && <Loading what="neighbours" />}
              {neighbours.isError &&
                (result?.neighbours?.length ? (
                  <NeighbourGallery neighbours={result.neighbours} first={<SameScaleCell cell={cell} />} />
                ) : (
                  <ErrorAlert error={neighbours.error} onRetry={() => neighbours.refetch()} />
                ))}
              {neighbours.data && (
                <NeighbourGallery neighbours={neighbours.data} first={<SameScaleCell cell={cell} />} />
              )}
            </section>
          )}
        </div>
      </div>
      {result && (
        <div className="row g-4 mt-1">
          <div className="col-lg-8">
            <p className="small mb-2">
              Model version <code className="text-break">{result.model_version}</code>
            </p>
            <CellLabelSets result={result} imageId={cell.id} />
          </div>
          <section className="col-lg-4" aria-labelledby="minimap-title">
            <h3 className="h6" id="minimap-title">
              Place on the landscape
            </h3>
            <LandscapeMiniMap projectId={projectId} imageId={cell.id} />
          </section>
        </div>
      )}
    </article>
  );
}
