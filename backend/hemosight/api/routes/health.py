"""Liveness and readiness probes (no sign-in), for the launcher, Docker and Kubernetes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from hemosight.api.deps import StoreDep
from hemosight.api.schemas import HealthPublic, ReadyPublic

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthPublic)
async def healthz() -> HealthPublic:
    return HealthPublic()


@router.get("/readyz", response_model=ReadyPublic, responses={503: {"model": ReadyPublic}})
async def readyz(store: StoreDep) -> JSONResponse:
    """Ready when the database answers; `model_version` is null while no model is active (jobs wait)."""
    database = await store.ping()
    model = await store.active_model_version() if database else None
    body = ReadyPublic(database=database, model_version=model.version if model else None)
    return JSONResponse(body.model_dump(), status_code=200 if database else 503)
