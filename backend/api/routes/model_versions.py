"""Registered model bundles and which one the workers use."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import CurrentUser, StoreDep
from backend.schemas import ModelVersionPublic

router = APIRouter(prefix="/model-versions", tags=["model-versions"])


@router.get("", response_model=list[ModelVersionPublic])
async def list_model_versions(store: StoreDep, _: CurrentUser) -> list[ModelVersionPublic]:
    return [
        ModelVersionPublic(
            version=m.version,
            created=m.created,
            default_label_set=m.default_label_set,
            label_sets=m.label_sets,
            metrics=m.metrics,
            reference_count=m.reference_count,
            active=m.active,
        )
        for m in await store.list_model_versions()
    ]
