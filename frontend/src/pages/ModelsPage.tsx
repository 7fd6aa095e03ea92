import { type FormEvent, useId, useRef, useState } from "react";
import { errorMessage } from "../api/errors";
import {
  useActivateModelVersion,
  useModelVersions,
  useRollbackModelVersion,
  useUploadModelVersion,
} from "../api/queries";
import type { ModelVersion } from "../api/types";
import { AdaptToLab } from "../components/AdaptToLab";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorAlert, Loading } from "../components/ErrorAlert";
import { compareMetrics, formatDelta, formatMetric, formatScore, keyMetrics, metricLabel } from "./models";

function formatDate(value: string | null | undefined): string {
  if (!value) return "—";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString();
}

function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

function UploadModelForm() {
  const [file, setFile] = useState<File | null>(null);
  const [activate, setActivate] = useState(false);
  const [progress, setProgress] = useState(0);
  const inputRef = useRef<HTMLInputElement>(null);
  const upload = useUploadModelVersion(setProgress);
  const wrongType = file !== null && !file.name.toLowerCase().endsWith(".hsb");

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!file || wrongType) return;
    setProgress(0);
    upload.mutate(
      { file, activate },
      {
        onSuccess: () => {
          setFile(null);
          if (inputRef.current) inputRef.current.value = "";
        },
      },
    );
  }

  return (
    <form className="card card-body mb-4" onSubmit={submit} aria-labelledby="upload-model-title">
      <h2 className="h6" id="upload-model-title">
        Upload a model bundle
      </h2>
      <div className="row g-2 align-items-end">
        <div className="col-md-6">
          <label htmlFor="model-file" className="form-label small">
            Bundle file (.hsb)
          </label>
          <input
            id="model-file"
            ref={inputRef}
            type="file"
            accept=".hsb"
            className={`form-control${wrongType ? " is-invalid" : ""}`}
            aria-describedby="model-file-help"
            disabled={upload.isPending}
            onChange={(event) => {
              setFile(event.target.files?.[0] ?? null);
              upload.reset();
            }}
          />
        </div>
        <div className="col-md-3">
          <div className="form-check mb-2">
            <input
              id="model-activate"
              type="checkbox"
              className="form-check-input"
              checked={activate}
              disabled={upload.isPending}
              onChange={(event) => setActivate(event.target.checked)}
            />
            <label htmlFor="model-activate" className="form-check-label">
              Activate after upload
            </label>
          </div>
        </div>
        <div className="col-md-3">
          <button
            type="submit"
            className="btn btn-primary w-100"
            disabled={!file || wrongType || upload.isPending}
          >
            {upload.isPending && (
              <span className="spinner-border spinner-border-sm me-2" aria-hidden="true" />
            )}
            Upload
          </button>
        </div>
      </div>
      <div id="model-file-help" className="form-text">
        A bundle made by <code>hemosight train</code>. It is checked before it is registered; workers switch
        to it only when it is activated.
        {file && !wrongType && ` Selected: ${file.name} (${formatSize(file.size)}).`}
      </div>
      {wrongType && (
        <div className="text-danger small mt-2">
          {file?.name} is not a model bundle: choose a file ending in .hsb.
        </div>
      )}
      {upload.isPending && (
        <div
          className="progress mt-2"
          role="progressbar"
          aria-label="Bundle upload progress"
          aria-valuenow={Math.round(progress * 100)}
          aria-valuemin={0}
          aria-valuemax={100}
        >
          <div
            className="progress-bar progress-bar-striped progress-bar-animated"
            style={{ width: `${progress * 100}%` }}
          >
            {progress < 1 ? `${Math.round(progress * 100)} %` : "Checking the bundle…"}
          </div>
        </div>
      )}
      {upload.isError && (
        <div className="text-danger small mt-2" role="alert">
          Upload failed: {errorMessage(upload.error)}
        </div>
      )}
      {upload.isSuccess && (
        <div className="text-success small mt-2" role="status">
          Model {upload.data.version} registered
          {upload.data.active ? " and active: new results will use it." : ". Activate it to use it."}
        </div>
      )}
    </form>
  );
}

function MetricsComparison({ models }: { models: ModelVersion[] }) {
  const leftId = useId();
  const rightId = useId();
  const active = models.find((model) => model.active) ?? models[0];
  const other = models.find((model) => model.version !== active.version);
  const [leftVersion, setLeftVersion] = useState(active.version);
  const [rightVersion, setRightVersion] = useState(other?.version ?? active.version);
  const [all, setAll] = useState(false);
  const left = models.find((model) => model.version === leftVersion) ?? active;
  const right = models.find((model) => model.version === rightVersion) ?? other ?? active;
  const single = left.version === right.version;
  const rows = compareMetrics(left.comparable_metrics, right.comparable_metrics, { headlineOnly: !all });

  const picker = (id: string, label: string, value: string, onChange: (version: string) => void) => (
    <div className="col-sm-5">
      <label htmlFor={id} className="form-label small">
        {label}
      </label>
      <select
        id={id}
        className="form-select"
        value={value}
        onChange={(event) => onChange(event.target.value)}
      >
        {models.map((model) => (
          <option key={model.version} value={model.version}>
            {model.version}
            {model.active ? " (active)" : ""}
          </option>
        ))}
      </select>
    </div>
  );

  return (
    <section className="card card-body mb-4" aria-labelledby="compare-title">
      <h2 className="h6" id="compare-title">
        {models.length > 1 ? "Compare metrics" : "Metrics"}
      </h2>
      <div className="row g-2 align-items-end mb-3">
        {picker(leftId, models.length > 1 ? "First version" : "Version", leftVersion, setLeftVersion)}
        {models.length > 1 && picker(rightId, "Second version", rightVersion, setRightVersion)}
        <div className="col-sm-2">
          <div className="form-check mb-2">
            <input
              id="compare-all"
              type="checkbox"
              className="form-check-input"
              checked={all}
              onChange={(event) => setAll(event.target.checked)}
            />
            <label htmlFor="compare-all" className="form-check-label">
              All metrics
            </label>
          </div>
        </div>
      </div>
      {rows.length === 0 ? (
        <p className="text-secondary mb-0">These bundles report no held-out metrics.</p>
      ) : (
        // Focusable so that keyboard users can scroll the long list.
        <section
          className="table-responsive"
          style={{ maxHeight: "28rem" }}
          aria-label="Metrics table"
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard
          tabIndex={0}
        >
          <table className="table table-sm align-middle mb-0" aria-labelledby="compare-title">
            <thead className="sticky-top">
              <tr>
                <th scope="col">Metric</th>
                <th scope="col" className="text-end">
                  {left.version}
                </th>
                {!single && (
                  <>
                    <th scope="col" className="text-end">
                      {right.version}
                    </th>
                    <th scope="col" className="text-end">
                      Difference
                    </th>
                  </>
                )}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.name}>
                  <th scope="row" className="fw-normal">
                    {metricLabel(row.name)}
                  </th>
                  <td className="text-end font-monospace">{formatMetric(row.left)}</td>
                  {!single && (
                    <>
                      <td className="text-end font-monospace">{formatMetric(row.right)}</td>
                      <td
                        className={`text-end font-monospace ${
                          row.delta === undefined || Math.abs(row.delta) < 1e-9
                            ? "text-secondary"
                            : row.delta > 0
                              ? "text-success"
                              : "text-danger"
                        }`}
                      >
                        {formatDelta(row)}
                      </td>
                    </>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {single && models.length > 1 && (
        <div className="form-text">Choose a different second version to see the differences.</div>
      )}
    </section>
  );
}

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
          <div className="table-responsive mb-4">
            <table className="table align-middle">
              <caption className="visually-hidden">Registered model versions</caption>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Created</th>
                  <th scope="col">Registered by</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="text-end">
                    Cell type macro F1
                  </th>
                  <th scope="col" className="text-end">
                    Attributes macro F1
                  </th>
                  <th scope="col" className="text-end">
                    References
                  </th>
                  <th scope="col" className="text-end">
                    Input size
                  </th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {models.data.map((model) => {
                  const key = keyMetrics(model);
                  return (
                    <tr
                      key={model.version}
                      data-testid="model-row"
                      className={model.active ? "table-active" : ""}
                    >
                      <th scope="row" className="fw-semibold text-break">
                        {model.version}
                      </th>
                      <td className="small">{formatDate(model.created)}</td>
                      <td className="small">{model.registered_by || "—"}</td>
                      <td>
                        {model.active ? (
                          <span className="badge text-bg-success">Active</span>
                        ) : (
                          <span className="badge text-bg-light border">Inactive</span>
                        )}
                      </td>
                      <td className="text-end font-monospace">{formatScore(key.macroF1)}</td>
                      <td className="text-end font-monospace">{formatScore(key.attributesMacroF1)}</td>
                      <td className="text-end">{model.reference_count.toLocaleString("en")}</td>
                      <td className="text-end">{key.inputSize ? `${key.inputSize} px` : "—"}</td>
                      <td className="text-end">
                        {!model.active && (
                          <button
                            type="button"
                            className="btn btn-sm btn-outline-primary"
                            disabled={busy}
                            aria-label={`Activate model ${model.version}`}
                            onClick={() => {
                              activate.reset();
                              rollback.reset();
                              setPending({ kind: "activate", model });
                            }}
                          >
                            Activate
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
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
