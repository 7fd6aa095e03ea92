import { type DragEvent, type KeyboardEvent, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useNavigate } from "react-router";
import { isWaiting, useLabelSets } from "../../shared/api/queries";
import type { ImageSummary } from "../../shared/api/types";
import { useLabClasses } from "../../shared/classNames";
import { Loading } from "../../shared/components/Loading";
import { ExportResultsButton } from "../cells/ExportResultsButton";
import { ViewSwitch } from "../cells/ViewSwitch";
import { GalleryCell } from "./GalleryCell";
import { GalleryGroup } from "./GalleryGroup";
import { GalleryToolbar } from "./GalleryToolbar";
import { classForKey, confirmable, galleryGroups } from "./gallery";
import { useGalleryActions } from "./useGalleryActions";
import { useGallerySelection } from "./useGallerySelection";
import { useSeenCells } from "./useSeenCells";

/** Thumbnails shown per class until "Show all": a class of hundreds stays one screen, not ten. */
export const GROUP_LIMIT = 60;

/**
 * The review view of a case: the cells grouped by the class the lab counts them under, in the lab's
 * report order, reclassified by number key or drag and confirmed class by class (only the cells seen).
 */
export function CellGallery({ projectId, images }: { projectId: string; images: ImageSummary[] }) {
  const navigate = useNavigate();
  const { nameOf, inReportOrder } = useLabClasses();
  const labelSets = useLabelSets();
  const actions = useGalleryActions(projectId, images);
  const { seen, watch } = useSeenCells();
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const classes = useMemo(
    () => labelSets.data?.find((set) => set.name === actions.labelSet)?.classes ?? [],
    [labelSets.data, actions.labelSet],
  );
  const groups = useMemo(
    () => galleryGroups(images, classes, inReportOrder),
    [images, classes, inReportOrder],
  );
  const shownCells = (code: string, cells: ImageSummary[]) =>
    expanded.has(code) ? cells : cells.slice(0, GROUP_LIMIT);
  const order = groups.flatMap((group) => shownCells(group.code, group.cells).map((cell) => cell.id));
  const open = (id: string) => navigate(`/projects/${projectId}/cells/${id}?view=gallery`);
  const selection = useGallerySelection(order, open);
  const dragged = useRef<string[]>([]);
  const refocus = useRef<string | null>(null);
  const classOrder = groups.map((group) => group.code);
  // One stable ref callback per cell, so React does not detach and re-attach every thumbnail on each render.
  const refs = useRef(new Map<string, (element: HTMLElement | null) => void>());
  const { register } = selection;
  const refFor = useCallback(
    (id: string) => {
      let callback = refs.current.get(id);
      if (!callback) {
        callback = (element: HTMLElement | null) => {
          register(id, element);
          watch(id, element);
        };
        refs.current.set(id, callback);
      }
      return callback;
    },
    [register, watch],
  );

  // After a move the moved cells re-render in their new group: the focus goes on to the next cell.
  useEffect(() => {
    if (refocus.current && order.includes(refocus.current)) {
      document.querySelector<HTMLElement>(`[data-cell-id="${refocus.current}"]`)?.focus();
      refocus.current = null;
    }
  });

  const move = (ids: string[], code: string) => {
    const rest = order.filter((id) => !ids.includes(id));
    const after = order.slice(order.indexOf(ids[0] ?? "")).find((id) => !ids.includes(id));
    actions.reclassify(ids, code, () => {
      selection.clear();
      refocus.current = after ?? rest[rest.length - 1] ?? null;
    });
  };

  const onKeyDown = (id: string, event: KeyboardEvent) => {
    if (selection.onKeyDown(id, event)) {
      event.preventDefault();
      return;
    }
    const code = classForKey(event.key, classOrder);
    if (code && actions.canLabel && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      move(selection.keyTargets(), code);
    }
  };

  const onDragStart = (id: string, event: DragEvent) => {
    dragged.current = selection.dragTargets(id);
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.current.join(","));
  };

  // The label set's classes decide the groups and their number keys: no keys that shift once they arrive.
  if (labelSets.isPending) return <Loading what="classes" />;
  const waiting = images.filter((image) => isWaiting(image.status)).length;
  const failed = images.filter((image) => image.status === "failed").length;
  const reviewed = images.filter((image) => image.reviewed_label).length;
  return (
    <section aria-labelledby="gallery-title" className="cell-gallery">
      <div className="d-flex flex-wrap align-items-end gap-3 mb-2">
        <div>
          <h2 className="h5 mb-1" id="gallery-title">
            Cells by class
          </h2>
          <div className="small text-secondary" data-testid="gallery-summary">
            {images.length} cells · {reviewed} reviewed
          </div>
        </div>
        <div className="ms-auto d-flex flex-wrap align-items-end gap-3">
          <ViewSwitch />
          <ExportResultsButton projectId={projectId} />
        </div>
      </div>
      <GalleryToolbar
        classes={classOrder}
        nameOf={nameOf}
        selected={selection.selected.length}
        actions={actions}
        onMove={(code) => move(selection.selected, code)}
        onClear={selection.clear}
      />
      {(waiting > 0 || failed > 0) && (
        <p className="small text-secondary" role="status">
          {waiting > 0 && `${waiting} cell${waiting === 1 ? "" : "s"} waiting for the classifier. `}
          {failed > 0 && `${failed} could not be classified (see the table).`}
        </p>
      )}
      {groups.map((group, index) => {
        const cells = shownCells(group.code, group.cells);
        const toConfirm = confirmable({ code: group.code, cells }, seen);
        return (
          <GalleryGroup
            key={group.code}
            group={group}
            name={nameOf(group.code)}
            numberKey={index < 9 ? index + 1 : null}
            hidden={group.cells.length - cells.length}
            toConfirm={toConfirm.length}
            canLabel={actions.canLabel}
            pending={actions.pending}
            onConfirm={() => actions.confirm(toConfirm)}
            onShowAll={() => setExpanded((current) => new Set([...current, group.code]))}
            onDropCells={() => move(dragged.current, group.code)}
          >
            {cells.map((cell) => (
              <GalleryCell
                key={cell.id}
                image={cell}
                nameOf={nameOf}
                selected={selection.isSelected(cell.id)}
                focused={selection.focusId === cell.id}
                draggable={actions.canLabel}
                register={refFor(cell.id)}
                onClick={(event) => selection.onClick(cell.id, event)}
                onKeyDown={(event) => onKeyDown(cell.id, event)}
                onOpen={() => open(cell.id)}
                onDragStart={(event) => onDragStart(cell.id, event)}
              />
            ))}
          </GalleryGroup>
        );
      })}
    </section>
  );
}
