import type { ImageSummary } from "../../shared/api/types";
import { AuthImage } from "../../shared/components/AuthImage";
import { type FlaggedCell, MAX_PRINTED_FLAGGED } from "./flagged";

/** The flagged cells of the printed report as thumbnails with their class and why; at most a page's worth. */
export function FlaggedCellsGrid({
  flagged,
  nameOf,
}: {
  flagged: FlaggedCell[];
  nameOf: (code: string) => string;
}) {
  if (flagged.length === 0) return <p className="small mb-0">No flagged cells.</p>;
  const shown = flagged.slice(0, MAX_PRINTED_FLAGGED);
  const label = (image: ImageSummary) => nameOf(image.lab_label ?? image.label ?? "");
  return (
    <>
      <ul className="report-flagged list-unstyled mb-1" aria-label="Flagged cells">
        {shown.map(({ image, why }) => (
          <li key={image.id} data-testid="report-flagged-cell">
            {/* eager: a lazy image below the fold would be missing from the printout */}
            <AuthImage
              src={`/api/v1/images/${image.id}/thumbnail`}
              alt={`${image.filename}: ${label(image)}`}
              width={64}
              height={64}
              loading="eager"
            />
            <div className="fw-semibold">{label(image)}</div>
            <div className="text-secondary" title={image.filename}>
              {why}
            </div>
          </li>
        ))}
      </ul>
      {flagged.length > shown.length && (
        <p className="small mb-0">
          and {flagged.length - shown.length} more flagged cells (see the Cells tab).
        </p>
      )}
    </>
  );
}
