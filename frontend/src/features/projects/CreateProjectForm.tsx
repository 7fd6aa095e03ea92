import { type FormEvent, useState } from "react";
import { useNavigate } from "react-router";
import { errorMessage } from "../../shared/api/errors";
import { useCreateProject } from "../../shared/api/queries";

export function CreateProjectForm() {
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
