import { Link } from "react-router";
import { useUploadItems } from "./UploadContext";
import { summarize } from "./uploadQueue";

/** The header's "Uploading n/m" link while uploads run, to the project being uploaded to. */
export function UploadIndicator() {
  const items = useUploadItems();
  const summary = summarize(items);
  if (!summary.active) return null;
  const projectId = items.find((item) => item.status === "waiting" || item.status === "uploading")?.projectId;
  return (
    <Link
      to={projectId ? `/projects/${projectId}/cells` : "/projects"}
      className="btn btn-sm btn-outline-light d-flex align-items-center gap-2"
      aria-label={`Uploading: ${summary.finished} of ${summary.total} files done`}
    >
      <span className="spinner-border spinner-border-sm" aria-hidden="true" />
      Uploading {summary.finished}/{summary.total}
    </Link>
  );
}
