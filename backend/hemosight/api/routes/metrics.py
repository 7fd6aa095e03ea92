"""Prometheus metrics of the backend (no sign-in, like the probes; keep /metrics off the public ingress)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CollectorRegistry, generate_latest

from hemosight.api.deps import StoreDep
from hemosight.core.metrics import CONTENT_TYPE, StoreCollector

router = APIRouter(tags=["operations"])


def _collector(request: Request) -> tuple[CollectorRegistry, StoreCollector]:
    state = request.app.state
    if not hasattr(state, "metrics"):
        registry, collector = CollectorRegistry(), StoreCollector()
        registry.register(collector)
        state.metrics = (registry, collector)
    return state.metrics


@router.get("/metrics")
async def metrics(request: Request, store: StoreDep) -> Response:
    """Queue depth per job status and the active model version, read from the store now."""
    registry, collector = _collector(request)
    await collector.refresh(store.job_counts, store.active_model_version, len(await store.list_model_versions()))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE)
