import { type FormEvent, useState } from "react";
import { Link, useNavigate } from "react-router";
import { errorMessage } from "../../shared/api/errors";
import { useCreateProject, useDeleteProject, useProjects, useRenameProject } from "../../shared/api/queries";
import type { Project } from "../../shared/api/types";
import { ConfirmDialog } from "../../shared/components/ConfirmDialog";
import { ErrorAlert, Loading } from "../../shared/components/ErrorAlert";

function formatDate(value: string | null | undefined): string {
  if (!value) return "—";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString();
}

function CreateProjectForm() {
  const [name, setName] = useState("");
  const create = useCreateProject();
  const navigate = useNavigate();

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) return;
    create.mutate(name.trim(), {
      onSuccess: (project) => {
        setName("");
        navigate(`/projects/${project.id}/cells`);
      },
    });
  }

  return (
    <form className="card card-body mb-4" onSubmit={submit}>
      <label htmlFor="new-project" className="form-label fw-semibold">
        New project <span className="fw-normal text-secondary">— one case or slide</span>
      </label>
      <div className="input-group">
        <input
          id="new-project"
          className="form-control"
          placeholder="e.g. Case 2026-1142, peripheral smear"
          value={name}
          maxLength={200}
          onChange={(event) => setName(event.target.value)}
        />
        <button type="submit" className="btn btn-primary" disabled={!name.trim() || create.isPending}>
          Create project
        </button>
      </div>
      {create.isError && <div className="text-danger small mt-2">{errorMessage(create.error)}</div>}
    </form>
  );
}

function ProjectRow({ project, onDelete }: { project: Project; onDelete: () => void }) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(project.name);
  const rename = useRenameProject();

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim() || name.trim() === project.name) {
      setEditing(false);
      return;
    }
    rename.mutate({ projectId: project.id, name: name.trim() }, { onSuccess: () => setEditing(false) });
  }

  return (
    <tr>
      <td>
        {editing ? (
          <form className="d-flex gap-2" onSubmit={submit}>
            <label className="visually-hidden" htmlFor={`rename-${project.id}`}>
              New name for {project.name}
            </label>
            <input
              id={`rename-${project.id}`}
              className="form-control form-control-sm"
              value={name}
              // biome-ignore lint/a11y/noAutofocus: the user just asked to rename this project
              autoFocus
              onChange={(event) => setName(event.target.value)}
              onKeyDown={(event) => {
                if (event.key === "Escape") setEditing(false);
              }}
            />
            <button type="submit" className="btn btn-sm btn-primary" disabled={rename.isPending}>
              Save
            </button>
            <button
              type="button"
              className="btn btn-sm btn-outline-secondary"
              onClick={() => setEditing(false)}
            >
              Cancel
            </button>
          </form>
        ) : (
          <Link to={`/projects/${project.id}/cells`} className="fw-semibold">
            {project.name}
          </Link>
        )}
        {rename.isError && <div className="text-danger small">{errorMessage(rename.error)}</div>}
      </td>
      <td className="text-nowrap text-secondary">{formatDate(project.created_at)}</td>
      <td className="text-end text-nowrap">
        {!editing && (
          <button
            type="button"
            className="btn btn-sm btn-outline-secondary me-2"
            onClick={() => {
              setName(project.name);
              setEditing(true);
            }}
            aria-label={`Rename ${project.name}`}
          >
            Rename
          </button>
        )}
        <button
          type="button"
          className="btn btn-sm btn-outline-danger"
          onClick={onDelete}
          aria-label={`Delete ${project.name}`}
        >
          Delete
        </button>
      </td>
    </tr>
  );
}

export function ProjectsPage() {
  const projects = useProjects();
  const remove = useDeleteProject();
  const [toDelete, setToDelete] = useState<Project | null>(null);

  return (
    <>
      <h1 className="h3 mb-3">Projects</h1>
      <CreateProjectForm />
      {projects.isPending && <Loading what="projects" />}
      {projects.isError && <ErrorAlert error={projects.error} onRetry={() => projects.refetch()} />}
      {remove.isError && <ErrorAlert error={remove.error} />}
      {projects.data && projects.data.length === 0 && (
        <p className="text-secondary">
          No projects yet. Create one for each case or slide, then upload its cell images.
        </p>
      )}
      {projects.data && projects.data.length > 0 && (
        <div className="table-responsive">
          <table className="table table-hover align-middle">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Created</th>
                <th scope="col" className="text-end">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {projects.data.map((project) => (
                <ProjectRow key={project.id} project={project} onDelete={() => setToDelete(project)} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {toDelete && (
        <ConfirmDialog
          title="Delete project?"
          confirmLabel="Delete project"
          busy={remove.isPending}
          onCancel={() => setToDelete(null)}
          onConfirm={() => remove.mutate(toDelete.id, { onSettled: () => setToDelete(null) })}
        >
          <p className="mb-0">
            <strong>{toDelete.name}</strong> and all its images and results will be deleted. This cannot be
            undone.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
