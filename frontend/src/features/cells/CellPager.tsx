import { useMemo } from "react";
import { Link, useSearchParams } from "react-router";
import { useImages, useLabelSets } from "../../shared/api/queries";
import { useLabClasses } from "../../shared/classNames";
import { reviewOrder } from "./reviewOrder";

/**
 * Previous and next cell in the order of the view the user came from (the gallery's order, or the table's
 * filter and sort, carried in the URL); upload order for a deep link without a view.
 */
export function CellPager({ projectId, imageId }: { projectId: string; imageId: string }) {
  const images = useImages(projectId);
  const labelSets = useLabelSets();
  const { inReportOrder } = useLabClasses();
  const [params] = useSearchParams();
  const list = useMemo(() => {
    const all = images.data ?? [];
    const labelSet = all.find((image) => image.label_set)?.label_set;
    const classes = labelSets.data?.find((set) => set.name === labelSet)?.classes ?? [];
    return reviewOrder(all, params, imageId, { classes, inReportOrder });
  }, [images.data, labelSets.data, inReportOrder, params, imageId]);
  const index = list.findIndex((image) => image.id === imageId);
  if (index < 0) return null;
  const previous = list[index - 1];
  const next = list[index + 1];
  const search = params.toString() ? `?${params.toString()}` : "";
  return (
    <nav className="btn-group btn-group-sm" aria-label="Other cells">
      {previous ? (
        <Link
          className="btn btn-outline-secondary"
          to={`/projects/${projectId}/cells/${previous.id}${search}`}
        >
          ← Previous
        </Link>
      ) : (
        <span className="btn btn-outline-secondary disabled">← Previous</span>
      )}
      <span className="btn btn-outline-secondary disabled" data-testid="pager-position">
        {index + 1} / {list.length}
      </span>
      {next ? (
        <Link className="btn btn-outline-secondary" to={`/projects/${projectId}/cells/${next.id}${search}`}>
          Next →
        </Link>
      ) : (
        <span className="btn btn-outline-secondary disabled">Next →</span>
      )}
    </nav>
  );
}
