// "Adapt to this lab" on the Models page (administrators): pick the lab's projects, start the job, follow it,
// compare the new version with the active one on the lab's own labelled cells, and activate it.
import { type FormEvent, useState } from "react";
import { adaptHead, type LabScore, labMetrics, useAdaptJob, useStartAdapt } from "../../shared/api/adapt";
import { errorMessage } from "../../shared/api/errors";
import { useActivateModelVersion, useModelVersions, useProjects } from "../../shared/api/queries";
import { useAuth } from "../auth/AuthContext";

const HEADS = [
  { value: "auto", title: "Chosen on the lab's labelled cells" },
  { value: "bundle", title: "The model's own classifier" },
  { value: "lab", title: "Fitted on the lab's labels alone" },
] as const;

type Head = (typeof HEADS)[number]["value"];

function percent(value: number | undefined): string {
  return value === undefined ? "—" : `${(value * 100).toFixed(1)} %`;
}

function ScoreRow({ name, score }: { name: string; score: LabScore | undefined }) {
  return (
    <tr>
      <th scope="row" className="fw-normal text-break">
        {name}
      </th>
      <td className="text-end font-monospace">{percent(score?.accuracy)}</td>
      <td className="text-end font-monospace">{percent(score?.macro_f1)}</td>
    </tr>
  );
}

function AdaptResult({ version }: { version: string }) {
  const models = useModelVersions();
  const activate = useActivateModelVersion();
  const model = models.data?.find((m) => m.version === version);
  if (!model) return null;
  const lab = labMetrics(model.metrics);
  return (
    <div className="mt-3" data-testid="adapt-result">
      <p className="mb-2">
        New version <strong>{version}</strong> registered (not active). Head:{" "}
        {adaptHead(model.metrics) ?? "—"}.
      </p>
      {lab?.not_measured ? (
        <p className="small text-secondary">{lab.not_measured}</p>
      ) : (
        <table className="table table-sm w-auto" aria-label="Scores on the lab's labelled cells">
          <thead>
            <tr>
              <th scope="col">On the lab's {lab?.cells ?? ""} labelled cells</th>
              <th scope="col" className="text-end">
                Accuracy
              </th>
              <th scope="col" className="text-end">
                Macro F1
              </th>
            </tr>
          </thead>
          <tbody>
            <ScoreRow name={`Active: ${lab?.old?.version ?? "—"}`} score={lab?.old} />
            <ScoreRow name={`New: ${version}`} score={lab?.new} />
          </tbody>
        </table>
      )}
      {model.active ? (
        <div className="text-success small" role="status">
          {version} is active; the lab's projects are being re-scored with it.
        </div>
      ) : (
        <button
          type="button"
          className="btn btn-sm btn-primary"
          disabled={activate.isPending}
          onClick={() => activate.mutate(version)}
        >
          Activate {version}
        </button>
      )}
      {activate.isError && (
        <div className="text-danger small mt-2" role="alert">
          Activation failed: {errorMessage(activate.error)}
        </div>
      )}
    </div>
  );
}

export function AdaptToLab() {
  const { user } = useAuth();
  const projects = useProjects();
  const start = useStartAdapt();
  const [chosen, setChosen] = useState<string[]>([]);
  const [scale, setScale] = useState(true);
  const [colour, setColour] = useState(false);
  const [minutes, setMinutes] = useState(0);
  const [head, setHead] = useState<Head>("auto");
  const [jobId, setJobId] = useState<string | null>(null);
  const job = useAdaptJob(jobId);
  if (user?.role !== "admin") return null;

  const running = job.data ? job.data.status === "pending" || job.data.status === "running" : jobId !== null;

  function submit(event: FormEvent) {
    event.preventDefault();
    start.mutate(
      { project_ids: chosen, scale, colour, fine_tune_minutes: minutes, head },
      { onSuccess: (started) => setJobId(started.id) },
    );
  }

  function toggle(projectId: string) {
    setChosen((current) =>
      current.includes(projectId) ? current.filter((id) => id !== projectId) : [...current, projectId],
    );
  }

  return (
    <form className="card card-body mb-4" onSubmit={submit} aria-labelledby="adapt-title">
      <h2 className="h6" id="adapt-title">
        Adapt to this lab
      </h2>
      <p className="small text-secondary">
        Makes a new model version from the chosen projects' cells (and the labels given in them): the lab's
        colours and magnification standardised, optionally a short fine-tune of the encoder, and the
        classifier chosen on the lab's labelled cells. It is not active until you activate it; activating
        re-scores these projects.
      </p>
      <fieldset className="mb-2">
        <legend className="form-label small">The lab's projects</legend>
        {projects.data?.length === 0 && <div className="small text-secondary">No projects yet.</div>}
        <div className="d-flex flex-wrap gap-3">
          {projects.data?.map((project) => (
            <div className="form-check" key={project.id}>
              <input
                className="form-check-input"
                type="checkbox"
                id={`adapt-project-${project.id}`}
                checked={chosen.includes(project.id)}
                onChange={() => toggle(project.id)}
              />
              <label className="form-check-label" htmlFor={`adapt-project-${project.id}`}>
                {project.name}
              </label>
            </div>
          ))}
        </div>
      </fieldset>
      <div className="row g-2 align-items-end">
        <div className="col-auto form-check ms-2">
          <input
            className="form-check-input"
            type="checkbox"
            id="adapt-scale"
            checked={scale}
            onChange={(event) => setScale(event.target.checked)}
          />
          <label className="form-check-label small" htmlFor="adapt-scale">
            Standardise magnification
          </label>
        </div>
        <div className="col-auto form-check ms-2">
          <input
            className="form-check-input"
            type="checkbox"
            id="adapt-colour"
            checked={colour}
            onChange={(event) => setColour(event.target.checked)}
          />
          <label className="form-check-label small" htmlFor="adapt-colour">
            Standardise colour
          </label>
        </div>
        <div className="col-auto">
          <label htmlFor="adapt-minutes" className="form-label small">
            Fine-tune (minutes, 0: off)
          </label>
          <input
            id="adapt-minutes"
            type="number"
            min={0}
            max={120}
            className="form-control form-control-sm"
            value={minutes}
            onChange={(event) => setMinutes(Math.max(0, Number(event.target.value) || 0))}
          />
        </div>
        <div className="col-auto">
          <label htmlFor="adapt-head" className="form-label small">
            Classifier
          </label>
          <select
            id="adapt-head"
            className="form-select form-select-sm"
            value={head}
            onChange={(event) => setHead(event.target.value as Head)}
          >
            {HEADS.map((option) => (
              <option key={option.value} value={option.value}>
                {option.title}
              </option>
            ))}
          </select>
        </div>
        <div className="col-auto">
          <button type="submit" className="btn btn-sm btn-primary" disabled={chosen.length === 0 || running}>
            Start adapting
          </button>
        </div>
      </div>
      {start.isError && (
        <div className="text-danger small mt-2" role="alert">
          Could not start: {errorMessage(start.error)}
        </div>
      )}
      {job.data && running && (
        <div
          className="progress mt-3"
          role="progressbar"
          aria-label="Adaptation progress"
          aria-valuenow={Math.round(job.data.fraction * 100)}
          aria-valuemin={0}
          aria-valuemax={100}
        >
          <div
            className="progress-bar progress-bar-striped progress-bar-animated"
            style={{ width: `${job.data.fraction * 100}%` }}
          >
            {job.data.phase} ({Math.round(job.data.fraction * 100)} %)
          </div>
        </div>
      )}
      {job.data?.status === "failed" && (
        <div className="text-danger small mt-2" role="alert">
          Adapting failed: {job.data.error}
        </div>
      )}
      {job.data?.status === "done" && job.data.model_version && (
        <AdaptResult version={job.data.model_version} />
      )}
    </form>
  );
}
