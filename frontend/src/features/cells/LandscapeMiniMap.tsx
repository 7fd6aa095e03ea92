import { Link } from "react-router";
import { useLandscape } from "../../shared/api/queries";
import { classColour } from "../../shared/classes";
import { useLabClassName } from "../../shared/classNames";
import { Loading } from "../../shared/components/Loading";

const SIZE = 240;
const MARGIN = 10;

/**
 * Where this cell lies on the project's landscape: the reference cells faint, the case's cells in their class
 * colours, this one ringed. A small static map; the Landscape tab is the one to explore.
 */
export function LandscapeMiniMap({ projectId, imageId }: { projectId: string; imageId: string }) {
  const nameOf = useLabClassName();
  const landscape = useLandscape(projectId);
  if (landscape.isPending) return <Loading what="landscape" />;
  if (landscape.isError) return <p className="small text-secondary">The landscape is not available.</p>;
  const { references, cells } = landscape.data;
  const here = cells.find((cell) => cell.image_id === imageId);
  const points = [...references, ...cells];
  if (!here || points.length === 0) {
    return <p className="small text-secondary">This cell is not on the landscape yet.</p>;
  }
  const xs = points.map((point) => point.x);
  const ys = points.map((point) => point.y);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const scale = (SIZE - 2 * MARGIN) / Math.max(maxX - minX, maxY - minY, 1e-9);
  const sx = (x: number) => MARGIN + (x - minX) * scale;
  const sy = (y: number) => SIZE - MARGIN - (y - minY) * scale; // up is up, as on the Landscape tab
  return (
    <figure className="mb-0">
      <svg
        viewBox={`0 0 ${SIZE} ${SIZE}`}
        className="landscape-minimap"
        role="img"
        aria-label={`Landscape: this cell, a ${nameOf(here.label)}, ringed among the case's ${cells.length} cells and ${references.length} reference cells`}
        data-testid="landscape-minimap"
      >
        {references.map((point) => (
          <circle key={point.reference_id} cx={sx(point.x)} cy={sy(point.y)} r={1.6} fill="#adb5bd" />
        ))}
        {cells.map((point) => (
          <circle
            key={point.image_id}
            cx={sx(point.x)}
            cy={sy(point.y)}
            r={2.4}
            fill={classColour(point.label)}
            opacity={0.8}
          />
        ))}
        <g data-testid="minimap-this-cell">
          <circle cx={sx(here.x)} cy={sy(here.y)} r={9} fill="none" stroke="#fff" strokeWidth={4} />
          <circle cx={sx(here.x)} cy={sy(here.y)} r={9} fill="none" stroke="#d63384" strokeWidth={2.5} />
          <circle cx={sx(here.x)} cy={sy(here.y)} r={3.5} fill={classColour(here.label)} stroke="#212529" />
        </g>
      </svg>
      <figcaption className="small text-secondary">
        Ringed: this cell; grey: reference cells; coloured: the case's cells by class.{" "}
        <Link to={`/projects/${projectId}/landscape`}>Open the landscape</Link>
      </figcaption>
    </figure>
  );
}
