import { Link, useLocation, useParams } from "react-router";
import { isWaiting, useImage, useNeighbours } from "../../shared/api/queries";
import { AuthImage } from "../../shared/components/AuthImage";
import { ClassLabel } from "../../shared/components/ClassLabel";
import { Confidence } from "../../shared/components/Confidence";
import { ErrorAlert } from "../../shared/components/ErrorAlert";
import { Loading } from "../../shared/components/Loading";
import { StatusBadge } from "../../shared/components/StatusBadge";
import { CellLabelSets } from "./CellLabelSets";
import { CellPager } from "./CellPager";
import { NeighbourGallery } from "./NeighbourGallery";

export function CellDetailsPage() {
  const { projectId = "", imageId = "" } = useParams();
  const image = useImage(imageId);
  const { search } = useLocation();
  const done = image.data?.status === "done";
  const neighbours = useNeighbours(imageId, done);

  if (image.isPending) return <Loading what="cell" />;
  if (image.isError) return <ErrorAlert error={image.error} onRetry={() => image.refetch()} />;
  const cell = image.data;
  const result = cell.result;

  return (
    <article aria-labelledby="cell-title">
      <div className="d-flex flex-wrap align-items-center gap-3 mb-3">
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
      <div className="row g-4">
        <div className="col-md-5">
          <div className="card">
            <AuthImage
              src={`/api/v1/images/${cell.id}/file`}
              alt={`Cell image ${cell.filename}`}
              className="cell-image"
            />
          </div>
        </div>
        <div className="col-md-7">
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
          {result && (
            <>
              <dl className="row mb-3 cell-summary">
                <dt className="col-sm-4">Predicted class</dt>
                <dd className="col-sm-8 fs-5" data-testid="cell-label">
                  <ClassLabel label={result.label} />
                </dd>
                <dt className="col-sm-4">Confidence</dt>
                <dd className="col-sm-8">
                  <Confidence value={result.confidence} />
                </dd>
                <dt className="col-sm-4">Model version</dt>
                <dd className="col-sm-8">
                  <code>{result.model_version}</code>
                </dd>
              </dl>
              <CellLabelSets result={result} imageId={cell.id} />
            </>
          )}
        </div>
      </div>
      {done && (
        <section className="mt-4" aria-labelledby="neighbours-title">
          <h3 className="h5" id="neighbours-title">
            Nearest reference cells
          </h3>
          <p className="small text-secondary">
            Labelled cells of the model's reference set that look most like this one (smaller distance = more
            alike).
          </p>
          {neighbours.isPending && <Loading what="neighbours" />}
          {neighbours.isError &&
            (result?.neighbours?.length ? (
              <NeighbourGallery neighbours={result.neighbours} />
            ) : (
              <ErrorAlert error={neighbours.error} onRetry={() => neighbours.refetch()} />
            ))}
          {neighbours.data && <NeighbourGallery neighbours={neighbours.data} />}
        </section>
      )}
    </article>
  );
}
