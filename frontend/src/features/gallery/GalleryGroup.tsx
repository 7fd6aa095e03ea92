import { type DragEvent, type ReactNode, useState } from "react";
import { ClassLabel } from "../../shared/components/ClassLabel";
import type { GalleryGroup as Group } from "./gallery";

/**
 * One class of the gallery: a header with the lab's name, the count, its number key and "Confirm these N
 * cells" (only the cells seen), which is also where cells dragged from another class are dropped; then
 * the class's thumbnails (`children`), of which the first `limit` are shown until "Show all" is pressed.
 */
export function GalleryGroup({
  group,
  name,
  numberKey,
  hidden,
  toConfirm,
  canLabel,
  pending,
  onConfirm,
  onShowAll,
  onDropCells,
  children,
}: {
  group: Group;
  /** The lab's name of the class. */
  name: string;
  numberKey: number | null;
  /** Cells of the group not rendered (beyond the limit). */
  hidden: number;
  /** The cells "Confirm" would confirm: seen and not reviewed yet. */
  toConfirm: number;
  canLabel: boolean;
  pending: boolean;
  onConfirm: () => void;
  onShowAll: () => void;
  onDropCells: () => void;
  children: ReactNode;
}) {
  const [over, setOver] = useState(false);
  const titleId = `gallery-class-${group.code}`;
  const notCounted = group.cells.filter((cell) => cell.counted === false).length;
  const unreviewed = group.cells.filter((cell) => !cell.reviewed_label).length;
  const dropHandlers = canLabel
    ? {
        onDragOver: (event: DragEvent) => {
          event.preventDefault();
          event.dataTransfer.dropEffect = "move";
          setOver(true);
        },
        onDragLeave: () => setOver(false),
        onDrop: (event: DragEvent) => {
          event.preventDefault();
          setOver(false);
          onDropCells();
        },
      }
    : {};
  return (
    <section className="gallery-group" aria-labelledby={titleId} data-testid={`gallery-group-${group.code}`}>
      <div
        className={`gallery-group-header${over ? " is-drop-target" : ""}`}
        data-testid={`gallery-drop-${group.code}`}
        {...dropHandlers}
      >
        {numberKey !== null && canLabel && (
          <kbd>
            <span className="visually-hidden">key </span>
            {numberKey}
          </kbd>
        )}
        <h3 className="h6 mb-0" id={titleId}>
          <ClassLabel label={group.code} />{" "}
          <span className="badge text-bg-light border" data-testid="gallery-count">
            {group.cells.length}
          </span>
          {notCounted > 0 && (
            <span className="small text-secondary fw-normal"> ({notCounted} not counted)</span>
          )}
        </h3>
        {canLabel && toConfirm > 0 && (
          <button
            type="button"
            className="btn btn-sm btn-outline-success ms-auto"
            disabled={pending}
            onClick={onConfirm}
            aria-label={`Confirm these ${toConfirm} cell${toConfirm === 1 ? "" : "s"} as ${name}`}
          >
            Confirm these {toConfirm} cell{toConfirm === 1 ? "" : "s"}
          </button>
        )}
        {canLabel && unreviewed > toConfirm && (
          <span className={`small text-secondary${toConfirm > 0 ? "" : " ms-auto"}`}>
            {unreviewed - toConfirm} not seen yet
          </span>
        )}
      </div>
      {group.cells.length === 0 ? (
        <p className="small text-secondary mb-0 gallery-empty">
          No cells{canLabel && numberKey !== null ? `: drag cells here or press ${numberKey}` : ""}.
        </p>
      ) : (
        <div role="listbox" aria-multiselectable="true" aria-labelledby={titleId} className="gallery-grid">
          {children}
        </div>
      )}
      {hidden > 0 && (
        <button type="button" className="btn btn-sm btn-link" onClick={onShowAll}>
          Show all {group.cells.length} cells
        </button>
      )}
    </section>
  );
}
