import type { ReactNode } from "react";
import type { Neighbour } from "../../shared/api/types";
import { useLabClassName } from "../../shared/classNames";
import { AuthImage } from "../../shared/components/AuthImage";
import { ClassLabel } from "../../shared/components/ClassLabel";

function thumbnailUrl(neighbour: Neighbour): string {
  return neighbour.thumbnail_url || `/api/v1/references/${neighbour.reference_id}/thumbnail`;
}

/** The nearest reference cells, closest first; `first` (the cell itself at their scale) leads the row. */
export function NeighbourGallery({ neighbours, first }: { neighbours: Neighbour[]; first?: ReactNode }) {
  const nameOf = useLabClassName();
  if (neighbours.length === 0) return <p className="text-secondary">No reference cells for this model.</p>;
  return (
    <ul className="neighbour-gallery list-unstyled mb-0" aria-label="Nearest reference cells">
      {first}
      {neighbours.map((neighbour, rank) => (
        <li key={neighbour.reference_id} className="card neighbour" data-testid="neighbour">
          <AuthImage
            src={thumbnailUrl(neighbour)}
            alt={`Reference cell ${rank + 1}: ${nameOf(neighbour.label)}`}
            className="card-img-top"
            width={128}
            height={128}
          />
          <div className="card-body px-2 py-1 small d-flex flex-wrap justify-content-between column-gap-2">
            <ClassLabel label={neighbour.label} />
            <span className="text-secondary">
              <span className="visually-hidden">distance </span>
              {neighbour.distance.toFixed(3)}
            </span>
          </div>
        </li>
      ))}
    </ul>
  );
}
