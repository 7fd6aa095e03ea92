import { Link } from "react-router";

/** Opens the case's one-page report as a page to print with the browser (the PDF button gives the API's copy). */
export function PrintReportLink({ projectId }: { projectId: string }) {
  return (
    <Link to={`/projects/${projectId}/report`} className="btn btn-outline-secondary btn-sm">
      Print…
    </Link>
  );
}
