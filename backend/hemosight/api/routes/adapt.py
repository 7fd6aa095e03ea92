"""'Adapt to this lab': an administrator starts a job that makes a new model version from a lab's cells.

The request is checked here, where the admin can still act on the answer (unknown projects, too
few cells, no labels for a lab head, a job already running); the work runs on a worker
(worker/hemosight/worker/adapt.py), which registers the new version without activating it.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from hemosight.api.deps import AdminUser, StoreDep
from hemosight.api.errors import error_responses
from hemosight.api.schemas import AdaptRequest, ModelJobPublic
from hemosight.core.store.base import ConflictError, ModelJob
from hemosight.ml.adapt_options import MIN_CELLS, MIN_LABELS

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
    model = await store.active_model_version()
    if model is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "No model is active; activate one before adapting it to a lab.")
    label_set = request.label_set or model.default_label_set
    if label_set not in model.label_sets:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"Model {model.version} has no label set {label_set!r}; it has {', '.join(model.label_sets)}.",
        )
    project_ids = list(dict.fromkeys(request.project_ids))
    missing = [p for p in project_ids if await store.get_project(p) is None]
    if missing:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No project with id {', '.join(missing)}.")
    cells, labels = 0, []
    for project_id in project_ids:
        cells += len(await store.list_image_entries(project_id))
        labels += [c.label for c in await store.list_labels(label_set, project_id)]
    if cells < MIN_CELLS:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"Adapting needs at least {MIN_CELLS} of the lab's cells; the chosen project(s) have {cells}. "
            "Upload more cells or add projects.",
        )
    if request.head == "lab" and (len(labels) < MIN_LABELS or len(set(labels)) < 2):
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"A head fitted on the lab's labels needs at least {MIN_LABELS} labelled cells of two or more classes "
            f"in {label_set!r}; the chosen project(s) have {len(labels)} of {len(set(labels))} class(es). Label "
            "more cells (the labelling queue picks the most useful ones), or choose head 'auto' or 'bundle'.",
        )
    options = request.model_dump(exclude={"project_ids"})
    options["label_set"] = label_set
    job = ModelJob(
        kind="adapt",
        params={
            "project_ids": project_ids,
            "options": options,
            "base_version": model.version,
            "cells": cells,
            "labelled_cells": len(labels),
        },
        created_by=user.username,
    )
    try:
        job = await store.create_model_job(job)
    except ConflictError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return model_job_public(job)


@router.get("/adapt/{job_id}", response_model=ModelJobPublic)
async def read_adapt_job(job_id: str, store: StoreDep, _: AdminUser) -> ModelJobPublic:
    """The job's status, phase and fraction done; once done, the model version it registered (not active)."""
    job = await store.get_model_job(job_id)
    if job is None or job.kind != "adapt":
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No adapt job {job_id}.")
    return model_job_public(job)
