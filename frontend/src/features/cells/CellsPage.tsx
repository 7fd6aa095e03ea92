import { useMemo, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { download, exportName } from "../../shared/api/download";
import { errorMessage } from "../../shared/api/errors";
import { isWaiting, useConfirmUsable, useImages, useProject } from "../../shared/api/queries";
import type { ImageSummary } from "../../shared/api/types";
import { className, isLowConfidence, LOW_CONFIDENCE } from "../../shared/classes";
import { AuthImage } from "../../shared/components/AuthImage";
import { ClassLabel, Confidence, StatusBadge } from "../../shared/components/CellBadges";
import { ErrorAlert, Loading } from "../../shared/components/ErrorAlert";
import { UploadPanel } from "../uploads/UploadPanel";
import { BulkReview } from "./BulkReview";
import { applyView, countByStatus, DEFAULT_VIEW, type ResultsView, type SortKey } from "./results";

const SORTABLE: { key: SortKey; title: string }[] = [
  { key: "filename", title: "File" },
  { key: "label", title: "Predicted class" },
  { key: "confidence", title: "Confidence" },
  { key: "status", title: "Status" },
];

/** The filter and sort live in the URL, so a filtered view can be bookmarked and survives Back. */
function useResultsView(): [ResultsView, (change: Partial<ResultsView>) => void] {
  const [params, setParams] = useSearchParams();
  const view: ResultsView = {
    label: params.get("class") ?? DEFAULT_VIEW.label,
    lowConfidenceOnly: params.get("low") === "1",
    changedOnly: params.get("changed") === "1",
    sort: (params.get("sort") as SortKey | null) ?? DEFAULT_VIEW.sort,
    order: params.get("order") === "desc" ? "desc" : "asc",
  };
  const update = (change: Partial<ResultsView>) => {
    const next = { ...view, ...change };
    const search = new URLSearchParams();
    if (next.label) search.set("class", next.label);
    if (next.lowConfidenceOnly) search.set("low", "1");
    if (next.changedOnly) search.set("changed", "1");
    if (next.sort !== DEFAULT_VIEW.sort) search.set("sort", next.sort);
    if (next.order !== DEFAULT_VIEW.order) search.set("order", next.order);
    setParams(search, { replace: true });
  };
  return [view, update];
}

function SortHeader({
  column,
  view,
  onSort,
}: {
  column: (typeof SORTABLE)[number];
  view: ResultsView;
  onSort: (key: SortKey) => void;
}) {
  const active = view.sort === column.key;
  return (
    <th scope="col" aria-sort={active ? (view.order === "asc" ? "ascending" : "descending") : "none"}>
      <button type="button" className="btn btn-link btn-sort p-0" onClick={() => onSort(column.key)}>
        {column.title}
        <span aria-hidden="true" className="ms-1">
          {active ? (view.order === "asc" ? "▲" : "▼") : "↕"}
        </span>
      </button>
    </th>
  );
}

/** A cell can be reviewed from the grid once the model has a prediction for it. */
function reviewable(image: ImageSummary): boolean {
  return image.status === "done" && !!image.label;
}

/** "Not a usable cell" with the reason, and the button that lets it count in the differential. */
function UnusableNote({ image }: { image: ImageSummary }) {
  const confirm = useConfirmUsable();
  if (!image.unusable) return null;
  if (image.usable_confirmed) {
    return (
      <div className="small text-secondary" data-testid="usable-confirmed">
        flagged as unusable, confirmed as a cell: counted
      </div>
    );
  }
  return (
    <div className="small text-danger" data-testid="unusable">
      ⚠ Not a usable cell, not counted: {image.unusable}{" "}
      <button
        type="button"
        className="btn btn-sm btn-outline-secondary py-0"
        disabled={confirm.isPending}
        onClick={() => confirm.mutate(image.id)}
      >
        It is a cell: count it
      </button>
      {confirm.isError && <div role="alert">{errorMessage(confirm.error)}</div>}
    </div>
  );
}

function CellRow({
  image,
  projectId,
  selected,
  onSelect,
}: {
  image: ImageSummary;
  projectId: string;
  selected: boolean;
  onSelect: (selected: boolean) => void;
}) {
  const to = `/projects/${projectId}/cells/${image.id}`;
  return (
    <tr
      className={
        image.unusable && !image.usable_confirmed
          ? "table-danger"
          : image.needs_review || isLowConfidence(image.confidence)
            ? "table-warning"
            : undefined
      }
      data-testid="cell-row"
    >
      <td>
        <input
          type="checkbox"
          className="form-check-input"
          aria-label={`Select ${image.filename}`}
          disabled={!reviewable(image)}
          checked={selected}
          onChange={(event) => onSelect(event.target.checked)}
        />
      </td>
      <td>
        <Link to={to} tabIndex={-1} aria-hidden="true">
          <AuthImage
            src={`/api/v1/images/${image.id}/thumbnail`}
            alt=""
            className="thumbnail"
            width={56}
            height={56}
          />
        </Link>
      </td>
      <td className="text-break">
        <Link to={to}>{image.filename}</Link>
      </td>
      <td>
        <div data-testid="predicted-class">
          <ClassLabel label={image.label} />
          {image.reviewed_label && (
            <div className="small text-success" data-testid="reviewed-label">
              ✓{" "}
              {image.reviewed_label === image.label
                ? "confirmed"
                : `reviewed: ${className(image.reviewed_label)}`}
            </div>
          )}
        </div>
        <UnusableNote image={image} />
        {typeof image.neighbours_agree === "number" &&
          image.neighbours_agree < 0.8 &&
          !image.reviewed_label && (
            <div className="small text-warning-emphasis" data-testid="neighbours-disagree">
              only {Math.round(image.neighbours_agree * 10)} of its 10 nearest reference cells agree
            </div>
          )}
        {image.changed && (
          <div className="small text-info" data-testid="changed-class">
            ↻ class changed at the last refit
          </div>
        )}
      </td>
      <td>
        <Confidence value={image.confidence} />
      </td>
      <td>
        <StatusBadge status={image.status} />
        {image.error && <div className="small text-danger">{image.error}</div>}
      </td>
    </tr>
  );
}

function ExportResultsButton({ projectId }: { projectId: string }) {
  const project = useProject(projectId);
  const [failure, setFailure] = useState<string | null>(null);
  return (
    <div>
      <button
        type="button"
        className="btn btn-sm btn-outline-primary"
        onClick={() => {
          setFailure(null);
          download(
            `/api/v1/projects/${projectId}/results?format=csv`,
            exportName(project.data?.name, "results.csv"),
          ).catch((error) => setFailure(errorMessage(error)));
        }}
      >
        Export results CSV
      </button>
      {failure && <div className="small text-danger">{failure}</div>}
    </div>
  );
}

function ResultsTable({ projectId, images }: { projectId: string; images: ImageSummary[] }) {
  const [view, setView] = useResultsView();
  const labels = useMemo(
    () => [...new Set(images.map((image) => image.label).filter((label): label is string => !!label))].sort(),
    [images],
  );
  const shown = useMemo(() => applyView(images, view), [images, view]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  // Only cells still shown count: a filter change must not act on rows the reviewer cannot see.
  const selectable = shown.filter(reviewable);
  const selectedShown = selectable.filter((image) => selected.has(image.id)).map((image) => image.id);
  const allSelected = selectable.length > 0 && selectedShown.length === selectable.length;
  const select = (ids: string[], on: boolean) =>
    setSelected((current) => {
      const next = new Set(current);
      for (const id of ids) {
        if (on) next.add(id);
        else next.delete(id);
      }
      return next;
    });
  const labelSet = images.find((image) => image.label_set)?.label_set ?? null;
  const counts = countByStatus(images);
  const changed = images.filter((image) => image.changed).length;
  const waiting = images.filter((image) => isWaiting(image.status)).length;

  const sortBy = (key: SortKey) =>
    setView({ sort: key, order: view.sort === key && view.order === "asc" ? "desc" : "asc" });

  return (
    <section aria-labelledby="results-title">
      <div className="d-flex flex-wrap align-items-end gap-3 mb-3">
        <div>
          <h2 className="h5 mb-1" id="results-title">
            Results
          </h2>
          <div className="small text-secondary" aria-live="polite">
            {images.length} cells · {counts.done ?? 0} classified
            {waiting > 0 && (
              <>
                {" "}
                · <span className="spinner-grow spinner-grow-sm text-info" aria-hidden="true" /> {waiting}{" "}
                waiting for the classifier
              </>
            )}
            {(counts.failed ?? 0) > 0 && <span className="text-danger"> · {counts.failed} failed</span>}
          </div>
        </div>
        <div className="ms-auto d-flex flex-wrap align-items-end gap-3">
          <ExportResultsButton projectId={projectId} />
          <div>
            <label htmlFor="class-filter" className="form-label small mb-1">
              Class
            </label>
            <select
              id="class-filter"
              className="form-select form-select-sm"
              value={view.label}
              onChange={(event) => setView({ label: event.target.value })}
            >
              <option value="">All classes</option>
              {labels.map((label) => (
                <option key={label} value={label}>
                  {className(label)}
                </option>
              ))}
            </select>
          </div>
          <div className="form-check mb-1">
            <input
              id="changed-only"
              type="checkbox"
              className="form-check-input"
              checked={view.changedOnly}
              onChange={(event) => setView({ changedOnly: event.target.checked })}
            />
            <label htmlFor="changed-only" className="form-check-label small">
              Only cells whose prediction changed at the last refit
            </label>
          </div>
          <div className="form-check mb-1">
            <input
              id="low-confidence"
              type="checkbox"
              className="form-check-input"
              checked={view.lowConfidenceOnly}
              onChange={(event) => setView({ lowConfidenceOnly: event.target.checked })}
            />
            <label htmlFor="low-confidence" className="form-check-label small">
              Only cells to review (confidence below {Math.round(LOW_CONFIDENCE * 100)}% or nearest reference
              cells disagree)
            </label>
          </div>
        </div>
      </div>
      {changed > 0 && (
        <div
          className="alert alert-info py-2 d-flex align-items-center gap-2"
          role="status"
          data-testid="changed-notice"
        >
          {changed} {changed === 1 ? "cell" : "cells"} changed class since your last correction.
          {!view.changedOnly && (
            <button
              type="button"
              className="btn btn-sm btn-outline-primary"
              onClick={() => setView({ changedOnly: true })}
            >
              Show {changed === 1 ? "it" : "them"}
            </button>
          )}
        </div>
      )}
      {labelSet && (
        <BulkReview labelSet={labelSet} selected={selectedShown} onDone={() => setSelected(new Set())} />
      )}
      {shown.length === 0 ? (
        <p className="text-secondary">No cells match this filter.</p>
      ) : (
        <div className="table-responsive">
          <table className="table table-sm align-middle results-table">
            <caption className="small">
              Rows highlighted in yellow have a confidence below {Math.round(LOW_CONFIDENCE * 100)}% or fewer
              than 8 of their 10 nearest reference cells agree with the prediction: check them against their
              neighbours.
            </caption>
            <thead>
              <tr>
                <th scope="col" className="col-select">
                  <input
                    type="checkbox"
                    className="form-check-input"
                    aria-label="Select every cell shown"
                    disabled={selectable.length === 0}
                    checked={allSelected}
                    onChange={(event) =>
                      select(
                        selectable.map((image) => image.id),
                        event.target.checked,
                      )
                    }
                  />
                </th>
                <th scope="col" className="col-thumbnail">
                  <span className="visually-hidden">Thumbnail</span>
                </th>
                {SORTABLE.map((column) => (
                  <SortHeader key={column.key} column={column} view={view} onSort={sortBy} />
                ))}
              </tr>
            </thead>
            <tbody>
              {shown.map((image) => (
                <CellRow
                  key={image.id}
                  image={image}
                  projectId={projectId}
                  selected={selected.has(image.id)}
                  onSelect={(on) => select([image.id], on)}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function CellsPage() {
  const { projectId = "" } = useParams();
  const images = useImages(projectId);
  return (
    <>
      <UploadPanel projectId={projectId} compact={(images.data?.length ?? 0) > 0} />
      {images.isPending && <Loading what="cells" />}
      {images.isError && <ErrorAlert error={images.error} onRetry={() => images.refetch()} />}
      {images.data && images.data.length === 0 && (
        <p className="text-secondary">No cells in this project yet: upload images above.</p>
      )}
      {images.data && images.data.length > 0 && <ResultsTable projectId={projectId} images={images.data} />}
    </>
  );
}
