import { Link } from "react-router";
import { useImages } from "../../shared/api/queries";

/** Previous and next cell in upload order, for reviewing a project cell by cell. */
export function CellPager({ projectId, imageId }: { projectId: string; imageId: string }) {
  const images = useImages(projectId);
  const list = images.data ?? [];
  const index = list.findIndex((image) => image.id === imageId);
  if (index < 0) return null;
  const previous = list[index - 1];
  const next = list[index + 1];
  return (
    <nav className="btn-group btn-group-sm" aria-label="Other cells">
      {previous ? (
        <Link className="btn btn-outline-secondary" to={`/projects/${projectId}/cells/${previous.id}`}>
          ← Previous
        </Link>
      ) : (
        <span className="btn btn-outline-secondary disabled">← Previous</span>
      )}
      <span className="btn btn-outline-secondary disabled">
        {index + 1} / {list.length}
      </span>
      {next ? (
        <Link className="btn btn-outline-secondary" to={`/projects/${projectId}/cells/${next.id}`}>
          Next →
        </Link>
      ) : (
        <span className="btn btn-outline-secondary disabled">Next →</span>
      )}
    </nav>
  );
}
