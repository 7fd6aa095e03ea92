"""Re-scoring a project with the active model (after an administrator rolled out a new one)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from hemosight.api.case_review import refuse_if_signed_off
from hemosight.api.deps import EditorUser, ProjectDep, StoreDep
from hemosight.api.errors import error_responses
from hemosight.api.schemas import RescorePublic

router = APIRouter(prefix="/projects", tags=["projects"], responses=error_responses(401, 403, 404, 409))


@router.post("/{project_id}/rescore", response_model=RescorePublic, status_code=status.HTTP_202_ACCEPTED)
async def rescore_project(project: ProjectDep, store: StoreDep, _: EditorUser) -> RescorePublic:
    """Queue every finished or failed image of the project again; old results stay until the new ones arrive."""
    refuse_if_signed_off(project, "re-scoring it")
    model = await store.active_model_version()
    if model is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT, "No model is active; an administrator must activate one before re-scoring."
        )
    queued = await store.requeue_project(project.id)
    return RescorePublic(project_id=project.id, model_version=model.version, queued=queued)
