import type { Neighbour } from "../../shared/api/types";
import { useLabClassName } from "../../shared/classNames";
import { AuthImage } from "../../shared/components/AuthImage";
import { ClassLabel } from "../../shared/components/ClassLabel";

function thumbnailUrl(neighbour: Neighbour): string {
  return neighbour.thumbnail_url || `/api/v1/references/${neighbour.reference_id}/thumbnail`;
}

export function NeighbourGallery({ neighbours }: { neighbours: Neighbour[] }) {
  const nameOf = useLabClassName();
  if (neighbours.length === 0) return <p className="text-secondary">No reference cells for this model.</p>;
  return (
    <ul className="neighbour-gallery list-unstyled" aria-label="Nearest reference cells">
      {neighbours.map((neighbour, rank) => (
        <li key={neighbour.reference_id} className="card neighbour" data-testid="neighbour">
          <AuthImage
            src={thumbnailUrl(neighbour)}
            alt={`Reference cell ${rank + 1}: ${nameOf(neighbour.label)}`}
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
