import { type FormEvent, useState } from "react";
import { Link } from "react-router";
import { errorMessage } from "../../shared/api/errors";
import { useRenameProject } from "../../shared/api/queries";
import type { Project } from "../../shared/api/types";
import { formatDate } from "../../shared/format";

export function ProjectRow({ project, onDelete }: { project: Project; onDelete: () => void }) {
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
