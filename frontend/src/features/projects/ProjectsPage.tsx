import { useState } from "react";
import { useDeleteProject, useProjects } from "../../shared/api/queries";
import type { Project } from "../../shared/api/types";
import { ConfirmDialog } from "../../shared/components/ConfirmDialog";
import { ErrorAlert } from "../../shared/components/ErrorAlert";
import { Loading } from "../../shared/components/Loading";
import { CreateProjectForm } from "./CreateProjectForm";
import { ProjectRow } from "./ProjectRow";

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
