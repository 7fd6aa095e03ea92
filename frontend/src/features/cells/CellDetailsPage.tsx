import { useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import { errorMessage } from "../../shared/api/errors";
import {
  isWaiting,
  useImage,
  useImageLabels,
  useImages,
  useLabelImage,
  useLabelSets,
  useNeighbours,
  useUndoLabel,
} from "../../shared/api/queries";
import type { CellResult, Neighbour } from "../../shared/api/types";
import { probabilitySpec } from "../../shared/charts/specs";
import { className, formatPercent } from "../../shared/classes";
import { AuthImage } from "../../shared/components/AuthImage";
import { ClassLabel, Confidence, StatusBadge } from "../../shared/components/CellBadges";
import { ErrorAlert, Loading } from "../../shared/components/ErrorAlert";
import { VegaChart } from "../../shared/components/VegaChart";
import { RefitStatus } from "../label-sets/RefitStatus";
import { describeChange, labelSetName, undoableChanges } from "../labelling/labelling";

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

function CorrectionControls({
  imageId,
  labelSet,
  predicted,
  classes,
  onChange,
}: {
  imageId: string;
  labelSet: string;
  predicted: string | undefined;
  classes: string[];
  onChange: (labelSet: string, changeId: string) => void;
}) {
  const label = useLabelImage();
  const [choice, setChoice] = useState(predicted ?? classes[0] ?? "");
  const name = labelSetName(labelSet);
  const send = (action: "set" | "confirm") =>
    label.mutate(
      { imageId, label_set: labelSet, action, label: action === "set" ? choice : undefined },
      { onSuccess: (event) => onChange(labelSet, event.id) },
    );
  return (
    <>
      <form
        className="d-flex flex-wrap gap-1 align-items-center"
        onSubmit={(event) => {
          event.preventDefault();
          send("set");
        }}
      >
        <select
          className="form-select form-select-sm w-auto"
          aria-label={`Correct label for ${name}`}
          value={choice}
          onChange={(event) => setChoice(event.target.value)}
          disabled={classes.length === 0}
        >
          {classes.map((item) => (
            <option key={item} value={item}>
              {className(item)}
            </option>
          ))}
        </select>
        <button
          type="submit"
          className="btn btn-sm btn-outline-primary"
          disabled={label.isPending || !choice}
          aria-label={`Correct ${name} to ${className(choice)}`}
        >
          Correct
        </button>
        {predicted && (
          <button
            type="button"
            className="btn btn-sm btn-outline-success"
            disabled={label.isPending}
            onClick={() => send("confirm")}
            aria-label={`Confirm ${className(predicted)} for ${name}`}
          >
            Confirm
          </button>
        )}
      </form>
      {label.isError && (
        <div className="small text-danger mt-1" role="alert">
          Not saved: {errorMessage(label.error)}
        </div>
      )}
    </>
  );
}

function LabelHistory({ imageId }: { imageId: string }) {
  const labels = useImageLabels(imageId);
  const undo = useUndoLabel();
  if (labels.isPending) return <Loading what="label history" />;
  if (labels.isError) return <ErrorAlert error={labels.error} onRetry={() => labels.refetch()} />;
  const history = labels.data.history;
  if (history.length === 0) {
    return <p className="text-secondary small">Nobody has labelled this cell yet.</p>;
  }
  const undoable = undoableChanges(history);
  return (
    <>
      <ol className="list-group list-group-flush small label-history" reversed aria-label="Label history">
        {[...history].reverse().map((event) => (
          <li
            key={event.id}
            className="list-group-item d-flex flex-wrap align-items-center gap-2 px-0"
            data-testid="label-event"
          >
            <span className={event.undone_by ? "text-decoration-line-through text-secondary" : undefined}>
              {describeChange(event)}
            </span>
            <span className="text-secondary">
              by {event.username}, {new Date(event.created_at).toLocaleString()}
            </span>
            {undoable.has(event.id) && (
              <button
                type="button"
                className="btn btn-sm btn-outline-secondary ms-auto"
                disabled={undo.isPending}
                onClick={() => undo.mutate(event.id)}
                aria-label={`Undo: ${describeChange(event)}`}
              >
                Undo
              </button>
            )}
          </li>
        ))}
      </ol>
      {undo.isError && (
        <div className="small text-danger" role="alert">
          Not undone: {errorMessage(undo.error)}
        </div>
      )}
    </>
  );
}

function LabelSets({ result, imageId }: { result: CellResult; imageId: string }) {
  const labelSets = Object.keys(result.labels ?? {});
  const [shown, setShown] = useState(result.label_set);
  const [lastChange, setLastChange] = useState<{ labelSet: string; id: string } | null>(null);
  const allSets = useLabelSets();
  const imageLabels = useImageLabels(imageId);
  const classesOf = (name: string) =>
    allSets.data?.find((set) => set.name === name)?.classes ??
    Object.keys(result.probabilities?.[name] ?? {}).sort();
  const probabilities = result.probabilities?.[shown] ?? {};
  const spec = useMemo(() => probabilitySpec(probabilities), [probabilities]);
  return (
    <>
      {lastChange && <RefitStatus key={lastChange.id} name={lastChange.labelSet} afterChange />}
      <div className="table-responsive">
        <table className="table table-sm mb-3 align-middle">
          <caption className="visually-hidden">Label for every label set, with corrections</caption>
          <thead>
            <tr>
              <th scope="col">Label set</th>
              <th scope="col">Label</th>
              <th scope="col">Probability</th>
              <th scope="col">Review</th>
            </tr>
          </thead>
          <tbody>
            {labelSets.map((labelSet) => {
              const label = result.labels[labelSet];
              const lab = imageLabels.data?.labels[labelSet];
              return (
                <tr
                  key={labelSet}
                  className={labelSet === shown ? "table-active" : undefined}
                  data-testid={`label-set-row-${labelSet}`}
                >
                  <th scope="row" className="fw-normal">
                    <button
                      type="button"
                      className="btn btn-link p-0 text-start"
                      onClick={() => setShown(labelSet)}
                    >
                      {labelSetName(labelSet)}
                    </button>
                    {labelSet === result.label_set && (
                      <span className="badge text-bg-light border ms-2">default</span>
                    )}
                  </th>
                  <td>
                    <ClassLabel label={label} swatch={labelSet === result.label_set} />
                    {lab && (
                      <div className="small text-success" data-testid="lab-label">
                        ✓ lab label: {className(lab.label)} ({lab.username})
                      </div>
                    )}
                  </td>
                  <td>{formatPercent(result.probabilities?.[labelSet]?.[label])}</td>
                  <td>
                    <CorrectionControls
                      imageId={imageId}
                      labelSet={labelSet}
                      predicted={label}
                      classes={classesOf(labelSet)}
                      onChange={(set, id) => setLastChange({ labelSet: set, id })}
                    />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <h3 className="h6">Label history</h3>
      <LabelHistory imageId={imageId} />
      <h3 className="h6 mt-3">Probabilities — {labelSetName(shown)}</h3>
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
              <LabelSets result={result} imageId={cell.id} />
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
