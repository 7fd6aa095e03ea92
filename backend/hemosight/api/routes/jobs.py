"""Classification jobs: one per uploaded image."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from hemosight.api.convert import job_public
from hemosight.api.deps import CurrentUser, StoreDep, can_see
from hemosight.api.errors import error_responses
from hemosight.api.schemas import JobPublic

router = APIRouter(prefix="/jobs", tags=["jobs"], responses=error_responses(401, 404))


@router.get("/{job_id}", response_model=JobPublic)
async def read_job(job_id: str, store: StoreDep, user: CurrentUser) -> JobPublic:
    job = await store.get_job(job_id)
    project = await store.get_project(job.project_id) if job else None
    if job is None or project is None or not can_see(user, project):
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"Job {job_id} does not exist or belongs to a project you are not a member of."
        )
    return job_public(job)
