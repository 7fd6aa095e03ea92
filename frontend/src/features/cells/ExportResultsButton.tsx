import { useState } from "react";
import { download, exportName } from "../../shared/api/download";
import { errorMessage } from "../../shared/api/errors";
import { useProject } from "../../shared/api/queries";

export function ExportResultsButton({ projectId }: { projectId: string }) {
  const project = useProject(projectId);
  const [failure, setFailure] = useState<string | null>(null);
  return (
    <div>
      <button
        type="button"
        className="btn btn-sm btn-outline-primary"
        onClick={() => {
          setFailure(null);
          download(
            `/api/v1/projects/${projectId}/results?format=csv`,
            exportName(project.data?.name, "results.csv"),
          ).catch((error) => setFailure(errorMessage(error)));
        }}
      >
        Export results CSV
      </button>
      {failure && <div className="small text-danger">{failure}</div>}
    </div>
  );
}
