import { Link } from "react-router";
import type { ImageSummary } from "../../shared/api/types";
import { isLowConfidence } from "../../shared/classes";
import { useLabClassName } from "../../shared/classNames";
import { AuthImage } from "../../shared/components/AuthImage";
import { ClassLabel } from "../../shared/components/ClassLabel";
import { Confidence } from "../../shared/components/Confidence";
import { StatusBadge } from "../../shared/components/StatusBadge";
import { runnerUpOf } from "../../shared/runnerUp";
import { UnusableNote } from "./UnusableNote";

/** A cell can be reviewed from the grid once the model has a prediction for it. */
export function reviewable(image: ImageSummary): boolean {
  return image.status === "done" && !!image.label;
}

export function CellRow({
  image,
  projectId,
  search = "",
  selected,
  onSelect,
}: {
  image: ImageSummary;
  projectId: string;
  /** The table's view (`?view=table&sort=…`), carried to the cell page for its previous/next. */
  search?: string;
  selected: boolean;
  onSelect: (selected: boolean) => void;
}) {
  const to = `/projects/${projectId}/cells/${image.id}${search}`;
  const nameOf = useLabClassName();
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
                : `reviewed: ${nameOf(image.reviewed_label)}`}
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
        <Confidence value={image.confidence} runnerUp={runnerUpOf(image)} />
      </td>
      <td>
        <StatusBadge status={image.status} />
        {image.error && <div className="small text-danger">{image.error}</div>}
      </td>
    </tr>
  );
}
