import { useState } from "react";
import { Link, NavLink, Outlet, useParams } from "react-router";
import { errorMessage } from "../../shared/api/errors";
import { useModelVersions, useProject, useRescoreProject } from "../../shared/api/queries";
import { ConfirmDialog } from "../../shared/components/ConfirmDialog";
import { ErrorAlert } from "../../shared/components/ErrorAlert";
import { useAuth } from "../auth/AuthContext";

/** For admins: queue every finished or failed cell of the project again for the active model. */
function RescoreButton({ projectId, projectName }: { projectId: string; projectName: string }) {
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

export function ProjectLayout() {
  const { projectId = "" } = useParams();
  const project = useProject(projectId);
  const { user } = useAuth();
  const isAdmin = user?.role === "admin";
  const name = project.data?.name ?? (project.isError ? "Project unavailable" : "Loading project…");
  return (
    <>
      <nav aria-label="breadcrumb">
        <ol className="breadcrumb mb-2">
          <li className="breadcrumb-item">
            <Link to="/projects">Projects</Link>
          </li>
          <li className="breadcrumb-item active" aria-current="page">
            {name}
          </li>
        </ol>
      </nav>
      <div className="d-flex flex-wrap justify-content-between align-items-start gap-2 mb-3">
        <h1 className="h3 mb-0">{name}</h1>
        {isAdmin && project.data && <RescoreButton projectId={projectId} projectName={project.data.name} />}
      </div>
      {project.isError ? (
        <>
          <ErrorAlert error={project.error} onRetry={() => project.refetch()} />
          <Link to="/projects" className="btn btn-primary">
            Back to projects
          </Link>
        </>
      ) : (
        <>
          <ul className="nav nav-tabs mb-3">
            <li className="nav-item">
              <NavLink className="nav-link" to={`/projects/${projectId}/cells`}>
                Cells
              </NavLink>
            </li>
            <li className="nav-item">
              <NavLink className="nav-link" to={`/projects/${projectId}/landscape`}>
                Landscape
              </NavLink>
            </li>
            <li className="nav-item">
              <NavLink className="nav-link" to={`/projects/${projectId}/differential-count`}>
                Differential count
              </NavLink>
            </li>
            <li className="nav-item">
              <NavLink className="nav-link" to={`/projects/${projectId}/queue`}>
                Labelling queue
              </NavLink>
            </li>
          </ul>
          <Outlet />
        </>
      )}
    </>
  );
}
