import { useState } from "react";
import { download, exportName } from "../../shared/api/download";
import { errorMessage } from "../../shared/api/errors";

/** The one-page PDF report, fetched with the session's token like the other downloads. */
export function ReportButton({ projectId, projectName }: { projectId: string; projectName: string }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <>
      <button
        type="button"
        className="btn btn-outline-primary btn-sm"
        disabled={busy}
        onClick={() => {
          setError(null);
          setBusy(true);
          download(`/api/v1/projects/${projectId}/report.pdf`, exportName(projectName, "report.pdf"))
            .catch((caught) => setError(errorMessage(caught)))
            .finally(() => setBusy(false));
        }}
      >
        Download report (PDF)
      </button>
      {error && (
        <span className="text-danger small" role="alert">
          {error}
        </span>
      )}
    </>
  );
}
