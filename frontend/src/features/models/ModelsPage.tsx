import { useState } from "react";
import { useActivateModelVersion, useModelVersions, useRollbackModelVersion } from "../../shared/api/queries";
import type { ModelVersion } from "../../shared/api/types";
import { ConfirmDialog } from "../../shared/components/ConfirmDialog";
import { ErrorAlert } from "../../shared/components/ErrorAlert";
import { Loading } from "../../shared/components/Loading";
import { AdaptToLab } from "./AdaptToLab";
import { MetricsComparison } from "./MetricsComparison";
import { ModelVersionsTable } from "./ModelVersionsTable";
import { formatScore, keyMetrics } from "./models";
import { UploadModelForm } from "./UploadModelForm";

type Pending = { kind: "activate"; model: ModelVersion } | { kind: "rollback" };

export function ModelsPage() {
  const models = useModelVersions();
  const activate = useActivateModelVersion();
  const rollback = useRollbackModelVersion();
  const [pending, setPending] = useState<Pending | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const active = models.data?.find((model) => model.active);
  const busy = activate.isPending || rollback.isPending;

  function confirm() {
    if (!pending) return;
    setDone(null);
    const onSuccess = (model: ModelVersion) =>
      setDone(
        `${model.version} is now the active model. Workers switch to it before their next batch; ` +
          "re-score a project to classify its existing cells again.",
      );
    if (pending.kind === "activate") {
      activate.mutate(pending.model.version, { onSuccess, onSettled: () => setPending(null) });
    } else {
      rollback.mutate(undefined, { onSuccess, onSettled: () => setPending(null) });
    }
  }

  return (
    <>
      <div className="d-flex flex-wrap justify-content-between align-items-start gap-2 mb-3">
        <h1 className="h3 mb-0">Models</h1>
        <button
          type="button"
          className="btn btn-outline-secondary"
          disabled={!active || busy}
          onClick={() => {
            activate.reset();
            rollback.reset();
            setPending({ kind: "rollback" });
          }}
        >
          Roll back to previous
        </button>
      </div>
      <p className="text-secondary">
        The active model classifies new uploads. Activating another version takes effect without a restart;
        results already made keep the version that made them until their project is re-scored.
      </p>
      {done && (
        <div className="alert alert-success" role="status">
          {done}
        </div>
      )}
      {activate.isError && <ErrorAlert error={activate.error} />}
      {rollback.isError && <ErrorAlert error={rollback.error} />}
      {models.isPending && <Loading what="model versions" />}
      {models.isError && <ErrorAlert error={models.error} onRetry={() => models.refetch()} />}
      {models.data && models.data.length === 0 && (
        <div className="alert alert-warning">
          No model is registered: uploads stay pending until a bundle is uploaded and activated.
        </div>
      )}
      {models.data && models.data.length > 0 && (
        <>
          {!active && (
            <div className="alert alert-warning">
              No model is active: activate one so cells get classified.
            </div>
          )}
          <ModelVersionsTable
            models={models.data}
            busy={busy}
            onActivate={(model) => {
              activate.reset();
              rollback.reset();
              setPending({ kind: "activate", model });
            }}
          />
          <MetricsComparison models={models.data} />
        </>
      )}
      <UploadModelForm />
      <AdaptToLab />
      {pending?.kind === "activate" && (
        <ConfirmDialog
          title="Activate this model?"
          confirmLabel="Activate model"
          busy={busy}
          onCancel={() => setPending(null)}
          onConfirm={confirm}
        >
          <p>
            <strong>{pending.model.version}</strong> will classify every new upload
            {active ? (
              <>
                {" "}
                instead of <strong>{active.version}</strong>
              </>
            ) : null}
            . Cell-type macro F1 on its held-out test set: {formatScore(keyMetrics(pending.model).macroF1)}.
          </p>
          <p className="mb-0">Existing results keep their model until their project is re-scored.</p>
        </ConfirmDialog>
      )}
      {pending?.kind === "rollback" && (
        <ConfirmDialog
          title="Roll back to the previous model?"
          confirmLabel="Roll back"
          busy={busy}
          onCancel={() => setPending(null)}
          onConfirm={confirm}
        >
          <p className="mb-0">
            The version that was active before <strong>{active?.version}</strong> becomes active again and
            classifies new uploads. Rolling back twice returns to where you started.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
