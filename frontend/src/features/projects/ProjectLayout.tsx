import { Link, NavLink, Outlet, useParams } from "react-router";
import { useCapabilities } from "../../shared/api/caseQueries";
import { useProject } from "../../shared/api/queries";
import { ErrorAlert } from "../../shared/components/ErrorAlert";
import { CasePanel } from "../case/CasePanel";
import { RescoreButton } from "./RescoreButton";

export function ProjectLayout() {
  const { projectId = "" } = useParams();
  const project = useProject(projectId);
  const canRescore = useCapabilities(projectId).data?.rescore === true;
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
        {canRescore && project.data && (
          <RescoreButton projectId={projectId} projectName={project.data.name} />
        )}
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
          {project.data && <CasePanel projectId={projectId} projectName={project.data.name} />}
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
