import { errorMessage } from "../../shared/api/errors";
import type { GalleryActions } from "./useGalleryActions";

/**
 * Above the gallery: which number key moves the selection to which class (the order of the groups
 * below), what the marks on a thumbnail mean, the selection with its actions, and in a signed-off case
 * the reason every change needs.
 */
export function GalleryToolbar({
  classes,
  nameOf,
  selected,
  actions,
  onMove,
  onClear,
}: {
  classes: readonly string[];
  nameOf: (code: string) => string;
  selected: number;
  actions: GalleryActions;
  onMove: (code: string) => void;
  onClear: () => void;
}) {
  const keyed = classes.slice(0, 9);
  return (
    <section className="gallery-toolbar card card-body py-2 mb-3" aria-label="Gallery controls">
      {actions.canLabel && (
        <div className="d-flex flex-wrap align-items-center gap-2 small" data-testid="gallery-legend">
          <span className="fw-semibold">Move the selected cells:</span>
          {keyed.map((code, index) => (
            <button
              key={code}
              type="button"
              className="btn btn-sm btn-outline-secondary py-0"
              disabled={selected === 0 || actions.pending}
              onClick={() => onMove(code)}
              aria-label={`Move the selected cells to ${nameOf(code)} (key ${index + 1})`}
            >
              <kbd className="me-1">{index + 1}</kbd>
              {nameOf(code)}
            </button>
          ))}
        </div>
      )}
      <div className="d-flex flex-wrap align-items-center gap-3 small mt-1">
        <span data-testid="gallery-selected" aria-live="polite">
          {selected} cell{selected === 1 ? "" : "s"} selected
        </span>
        {selected > 0 && (
          <button type="button" className="btn btn-sm btn-link p-0" onClick={onClear}>
            Clear selection
          </button>
        )}
        <span className="text-secondary">
          Click, shift-click, ctrl/⌘-click or arrow keys, space and shift+arrow select; Enter or a double
          click opens a cell
          {actions.canLabel ? "; a number key or a drag onto a class moves the selection" : ""}.
        </span>
      </div>
      <ul className="list-inline small text-secondary mb-0 mt-1 gallery-mark-legend" aria-label="Marks">
        <li className="list-inline-item">
          <span className="gallery-mark mark-low">?</span> low confidence or nearest reference cells disagree
        </li>
        <li className="list-inline-item">
          <span className="gallery-mark mark-flagged">⚑</span> flagged as not a usable cell
        </li>
        <li className="list-inline-item">
          <span className="gallery-mark mark-changed">↻</span> changed since your last correction
        </li>
        <li className="list-inline-item">
          <span className="gallery-mark mark-reviewed">✓</span> reviewed (has a lab label)
        </li>
      </ul>
      {actions.canLabel && actions.needsReason && (
        <div className="mt-2">
          <label htmlFor="gallery-reason" className="form-label small mb-1">
            Reason for changes (the case is signed off)
          </label>
          <input
            id="gallery-reason"
            className="form-control form-control-sm"
            minLength={3}
            maxLength={500}
            value={actions.reason}
            onChange={(event) => actions.setReason(event.target.value)}
          />
        </div>
      )}
      {actions.notice && (
        <div className="text-warning-emphasis small mt-1" role="status" data-testid="gallery-notice">
          {actions.notice}
        </div>
      )}
      {actions.error && (
        <div className="text-danger small mt-1" role="alert">
          Not saved: {errorMessage(actions.error)}
        </div>
      )}
      {actions.outcome && (
        <div className="text-success small mt-1" role="status" data-testid="gallery-outcome">
          {actions.outcome}
        </div>
      )}
    </section>
  );
}
