import { useMemo, useState } from "react";
import { useSearchParams } from "react-router";
import { useCapabilities } from "../../shared/api/caseQueries";
import { isWaiting } from "../../shared/api/queries";
import type { ImageSummary } from "../../shared/api/types";
import { LOW_CONFIDENCE } from "../../shared/classes";
import { useLabClasses } from "../../shared/classNames";
import { BulkReview } from "./BulkReview";
import { CellRow, reviewable } from "./CellRow";
import { ExportResultsButton } from "./ExportResultsButton";
import { applyView, countByStatus, countedAs, type SortKey } from "./results";
import { cellSearch } from "./reviewOrder";
import { SORTABLE, SortHeader } from "./SortHeader";
import { useResultsView } from "./useResultsView";
import { ViewSwitch } from "./ViewSwitch";

export function ResultsTable({ projectId, images }: { projectId: string; images: ImageSummary[] }) {
  const [view, setView] = useResultsView();
  const [params] = useSearchParams();
  const { nameOf, inReportOrder } = useLabClasses();
  const capabilities = useCapabilities(projectId).data;
  const canLabel = capabilities?.label === true;
  // The class filter counts what the lab differential counts: cells under their lab label, flagged ones apart.
  const counted = useMemo(() => {
    const counts = new Map<string, number>();
    for (const image of images) {
      const code = countedAs(image);
      if (code) counts.set(code, (counts.get(code) ?? 0) + 1);
    }
    return counts;
  }, [images]);
  const labels = inReportOrder(counted.keys());
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
          <ViewSwitch />
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
                  {nameOf(label)} ({counted.get(label)})
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
      {labelSet && canLabel && (
        <BulkReview
          labelSet={labelSet}
          selected={selectedShown}
          needsReason={capabilities?.label_needs_reason === true}
          onDone={() => setSelected(new Set())}
        />
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
                  search={cellSearch(params, "table")}
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
