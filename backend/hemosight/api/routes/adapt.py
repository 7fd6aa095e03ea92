"""'Adapt to this lab': an administrator starts a job that makes a new model version from a lab's cells.

The request is checked before any work starts (backend/hemosight/core/adapt_jobs.py, shared with
`hemosight adapt`); the work runs on a worker (worker/hemosight/worker/adapt.py), which registers
the new version without activating it.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from hemosight.api.deps import AdminUser, StoreDep
from hemosight.api.errors import error_responses
from hemosight.api.schemas import AdaptRequest, ModelJobPublic
from hemosight.core.adapt_jobs import AdaptRequestError, queue_adapt_job
from hemosight.core.store.base import ModelJob

router = APIRouter(
    prefix="/model-versions", tags=["model-versions"], responses=error_responses(400, 401, 403, 404, 409)
)


def model_job_public(job: ModelJob) -> ModelJobPublic:
    return ModelJobPublic(
        id=job.id,
        kind=job.kind,
        status=job.status,  # type: ignore[arg-type]
        phase=job.phase,
        fraction=job.fraction,
        attempts=job.attempts,
        error=job.error,
        model_version=job.model_version,
        params=job.params,
        created_by=job.created_by,
        created_at=job.created_at,
        updated_at=job.updated_at,
    )


@router.post("/adapt", response_model=ModelJobPublic, status_code=status.HTTP_202_ACCEPTED)
async def start_adapt(request: AdaptRequest, store: StoreDep, user: AdminUser) -> ModelJobPublic:
    """Queue an adapt job for the active model on the projects' cells; GET /model-versions/adapt/{id} shows progress."""
    try:
        job = await queue_adapt_job(
            store, request.project_ids, request.model_dump(exclude={"project_ids"}), user.username
        )
    except AdaptRequestError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    return model_job_public(job)


@router.get("/adapt/{job_id}", response_model=ModelJobPublic)
async def read_adapt_job(job_id: str, store: StoreDep, _: AdminUser) -> ModelJobPublic:
    """The job's status, phase and fraction done; once done, the model version it registered (not active)."""
    job = await store.get_model_job(job_id)
    if job is None or job.kind != "adapt":
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No adapt job {job_id}.")
    return model_job_public(job)
