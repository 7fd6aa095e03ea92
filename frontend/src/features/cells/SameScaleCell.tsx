import type { ImageDetail } from "../../shared/api/types";
import { AuthImage } from "../../shared/components/AuthImage";

/**
 * The cell as the reference thumbnails show theirs: the square its model's encoder saw, at the thumbnails'
 * size, so cell and reference cells compare at one scale (the viewer beside them fits the whole image).
 */
export function SameScaleCell({ cell }: { cell: ImageDetail }) {
  const square = cell.field_of_view;
  if (!square || square.side <= 0) return null;
  const percent = (value: number) => `${(value / square.side) * 100}%`;
  return (
    <li className="card neighbour same-scale-cell" data-testid="same-scale-cell">
      <div className="same-scale-crop">
        <AuthImage
          src={`/api/v1/images/${cell.id}/file`}
          alt={`This cell, ${cell.filename}, at the reference cells' scale`}
          style={{ width: percent(cell.width), top: percent(-square.top), left: percent(-square.left) }}
          draggable={false}
        />
      </div>
      <div className="card-body px-2 py-1 small fw-semibold">This cell</div>
    </li>
  );
}
