import type { DragEvent, KeyboardEvent, MouseEvent } from "react";
import type { ImageSummary } from "../../shared/api/types";
import { formatPercent } from "../../shared/classes";
import { AuthImage } from "../../shared/components/AuthImage";
import { runnerUpOf, runnerUpWords } from "../../shared/runnerUp";
import { cellMarks, galleryClass } from "./gallery";

export const THUMBNAIL_PX = 112;

/** Words for a cell's marks, for its accessible name and the thumbnail's tooltip. */
export function markWords(image: ImageSummary, nameOf: (code: string) => string): string[] {
  const marks = cellMarks(image);
  const words: string[] = [];
  if (marks.lowConfidence) words.push("low confidence or nearest reference cells disagree");
  if (marks.flagged) words.push(`flagged, not counted: ${image.unusable}`);
  if (marks.changed) words.push("class changed at the last refit");
  if (marks.reviewed)
    words.push(
      image.reviewed_label === image.label
        ? `reviewed${image.reviewed_by ? ` by ${image.reviewed_by}` : ""}`
        : `reviewed, predicted ${nameOf(image.label ?? "")}`,
    );
  return words;
}

/** One thumbnail of the gallery: an option of its class's listbox, selectable and draggable. */
export function GalleryCell({
  image,
  nameOf,
  selected,
  focused,
  draggable,
  register,
  onClick,
  onKeyDown,
  onOpen,
  onDragStart,
}: {
  image: ImageSummary;
  nameOf: (code: string) => string;
  selected: boolean;
  focused: boolean;
  draggable: boolean;
  register: (element: HTMLElement | null) => void;
  onClick: (event: MouseEvent) => void;
  onKeyDown: (event: KeyboardEvent) => void;
  onOpen: () => void;
  onDragStart: (event: DragEvent) => void;
}) {
  const marks = cellMarks(image);
  const words = markWords(image, nameOf);
  const shownAs = galleryClass(image) ?? "";
  const moved = marks.reviewed && image.reviewed_label !== image.label;
  const second = runnerUpOf(image);
  const label = [
    `${image.filename}: ${nameOf(shownAs)}`,
    `confidence ${formatPercent(image.confidence)}`,
    ...(second ? [runnerUpWords(second, nameOf)] : []),
    ...words,
  ];
  return (
    <div
      ref={register}
      role="option"
      aria-selected={selected}
      aria-label={label.join(", ")}
      tabIndex={focused ? 0 : -1}
      data-cell-id={image.id}
      data-testid="gallery-cell"
      className={`gallery-cell${selected ? " is-selected" : ""}${marks.flagged ? " is-flagged" : ""}`}
      title={label.join("\n")}
      draggable={draggable}
      onClick={onClick}
      onDoubleClick={onOpen}
      onKeyDown={onKeyDown}
      onDragStart={onDragStart}
    >
      <AuthImage
        src={`/api/v1/images/${image.id}/thumbnail`}
        alt=""
        className="gallery-thumb"
        width={THUMBNAIL_PX}
        height={THUMBNAIL_PX}
        draggable={false}
      />
      <span className="gallery-marks" aria-hidden="true">
        {marks.lowConfidence && <span className="gallery-mark mark-low">?</span>}
        {marks.flagged && <span className="gallery-mark mark-flagged">⚑</span>}
        {marks.changed && <span className="gallery-mark mark-changed">↻</span>}
        {marks.reviewed && <span className="gallery-mark mark-reviewed">✓</span>}
      </span>
      {selected && (
        <span className="gallery-check" aria-hidden="true">
          ●
        </span>
      )}
      <span className="gallery-caption" aria-hidden="true">
        {moved ? `was ${nameOf(image.label ?? "")}` : formatPercent(image.confidence)}
      </span>
    </div>
  );
}
