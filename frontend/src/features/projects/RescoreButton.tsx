import { useState } from "react";
import { errorMessage } from "../../shared/api/errors";
import { useModelVersions, useRescoreProject } from "../../shared/api/queries";
import { ConfirmDialog } from "../../shared/components/ConfirmDialog";

/** For admins: queue every finished or failed cell of the project again for the active model. */
export function RescoreButton({ projectId, projectName }: { projectId: string; projectName: string }) {
  const models = useModelVersions();
  const rescore = useRescoreProject(projectId);
  const [asking, setAsking] = useState(false);
  const active = models.data?.find((model) => model.active);

  return (
    <div className="text-end">
      <button
        type="button"
        className="btn btn-outline-primary"
        disabled={rescore.isPending}
        onClick={() => {
          rescore.reset();
          setAsking(true);
        }}
      >
        {rescore.isPending && <span className="spinner-border spinner-border-sm me-2" aria-hidden="true" />}
        Re-score with active model
      </button>
      <div aria-live="polite">
        {rescore.isSuccess && (
          <div className="small text-success mt-1" role="status">
            {rescore.data.queued === 0
              ? "Nothing to re-score: no cell of this project has finished yet."
              : `${rescore.data.queued} ${rescore.data.queued === 1 ? "cell" : "cells"} queued for ${rescore.data.model_version}; results update as they are classified.`}
          </div>
        )}
        {rescore.isError && (
          <div className="small text-danger mt-1" role="alert">
            Re-scoring did not start: {errorMessage(rescore.error)}
          </div>
        )}
      </div>
      {asking && (
        <ConfirmDialog
          title="Re-score this project?"
          confirmLabel="Re-score project"
          busy={rescore.isPending}
          onCancel={() => setAsking(false)}
          onConfirm={() => rescore.mutate(undefined, { onSettled: () => setAsking(false) })}
        >
          <p>
            Every classified or failed cell of <strong>{projectName}</strong> is classified again by the
            active model{active ? <strong> {active.version}</strong> : null}.
          </p>
          <p className="mb-0">
            Each cell keeps its current result until the new one arrives; differential counts and the
            landscape change as results come in.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
