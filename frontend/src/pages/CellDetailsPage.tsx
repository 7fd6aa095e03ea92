import { useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import { isWaiting, useImage, useImages, useNeighbours } from "../api/queries";
import type { CellResult, Neighbour } from "../api/types";
import { probabilitySpec } from "../charts/specs";
import { className, formatPercent } from "../classes";
import { AuthImage } from "../components/AuthImage";
import { ClassLabel, Confidence, StatusBadge } from "../components/CellBadges";
import { ErrorAlert, Loading } from "../components/ErrorAlert";
import { VegaChart } from "../components/VegaChart";

function thumbnailUrl(neighbour: Neighbour): string {
  return neighbour.thumbnail_url || `/api/v1/references/${neighbour.reference_id}/thumbnail`;
}

function NeighbourGallery({ neighbours }: { neighbours: Neighbour[] }) {
  if (neighbours.length === 0) return <p className="text-secondary">No reference cells for this model.</p>;
  return (
    <ul className="neighbour-gallery list-unstyled" aria-label="Nearest reference cells">
      {neighbours.map((neighbour, rank) => (
        <li key={neighbour.reference_id} className="card neighbour" data-testid="neighbour">
          <AuthImage
            src={thumbnailUrl(neighbour)}
            alt={`Reference cell ${rank + 1}: ${className(neighbour.label)}`}
            className="card-img-top"
            width={128}
            height={128}
          />
          <div className="card-body p-2 small">
            <ClassLabel label={neighbour.label} />
            <div className="text-secondary">distance {neighbour.distance.toFixed(3)}</div>
          </div>
        </li>
      ))}
    </ul>
  );
}

function LabelSets({ result }: { result: CellResult }) {
  const labelSets = Object.keys(result.labels ?? {});
  const [shown, setShown] = useState(result.label_set);
  const probabilities = result.probabilities?.[shown] ?? {};
  const spec = useMemo(() => probabilitySpec(probabilities), [probabilities]);
  return (
    <>
      <table className="table table-sm mb-3">
        <caption className="visually-hidden">Label for every label set</caption>
        <thead>
          <tr>
            <th scope="col">Label set</th>
            <th scope="col">Label</th>
            <th scope="col">Probability</th>
          </tr>
        </thead>
        <tbody>
          {labelSets.map((labelSet) => {
            const label = result.labels[labelSet];
            return (
              <tr key={labelSet} className={labelSet === shown ? "table-active" : undefined}>
                <th scope="row" className="fw-normal">
                  <button
                    type="button"
                    className="btn btn-link p-0 text-start"
                    onClick={() => setShown(labelSet)}
                  >
                    {labelSet.replaceAll("_", " ")}
                  </button>
                  {labelSet === result.label_set && (
                    <span className="badge text-bg-light border ms-2">default</span>
                  )}
                </th>
                <td>
                  <ClassLabel label={label} swatch={labelSet === result.label_set} />
                </td>
                <td>{formatPercent(result.probabilities?.[labelSet]?.[label])}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <h3 className="h6">Probabilities — {shown.replaceAll("_", " ")}</h3>
      {Object.keys(probabilities).length > 0 ? (
        <VegaChart spec={spec} label={`Probability of each class for label set ${shown}`} className="w-100" />
      ) : (
        <p className="text-secondary">No probabilities for this label set.</p>
      )}
    </>
  );
}

/** Previous and next cell in upload order, for reviewing a project cell by cell. */
function CellPager({ projectId, imageId }: { projectId: string; imageId: string }) {
  const images = useImages(projectId);
  const list = images.data ?? [];
  const index = list.findIndex((image) => image.id === imageId);
  if (index < 0) return null;
  const previous = list[index - 1];
  const next = list[index + 1];
  return (
    <nav className="btn-group btn-group-sm" aria-label="Other cells">
      {previous ? (
        <Link className="btn btn-outline-secondary" to={`/projects/${projectId}/cells/${previous.id}`}>
          ← Previous
        </Link>
      ) : (
        <span className="btn btn-outline-secondary disabled">← Previous</span>
      )}
      <span className="btn btn-outline-secondary disabled">
        {index + 1} / {list.length}
      </span>
      {next ? (
        <Link className="btn btn-outline-secondary" to={`/projects/${projectId}/cells/${next.id}`}>
          Next →
        </Link>
      ) : (
        <span className="btn btn-outline-secondary disabled">Next →</span>
      )}
    </nav>
  );
}

export function CellDetailsPage() {
  const { projectId = "", imageId = "" } = useParams();
  const image = useImage(imageId);
  const done = image.data?.status === "done";
  const neighbours = useNeighbours(imageId, done);

  if (image.isPending) return <Loading what="cell" />;
  if (image.isError) return <ErrorAlert error={image.error} onRetry={() => image.refetch()} />;
  const cell = image.data;
  const result = cell.result;

  return (
    <article aria-labelledby="cell-title">
      <div className="d-flex flex-wrap align-items-center gap-3 mb-3">
        <Link to={`/projects/${projectId}/cells`} className="btn btn-sm btn-outline-secondary">
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
              <LabelSets result={result} />
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
