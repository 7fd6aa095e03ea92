"""Registered model bundles and which one the workers use; administrators upload, activate and roll back."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, UploadFile, status

from hemosight.api.deps import AdminUser, CurrentUser, StoreDep
from hemosight.api.errors import error_responses
from hemosight.api.schemas import ModelVersionPublic
from hemosight.core.model_files import BundleFileError, is_kept_in_store
from hemosight.core.model_registry import (
    ModelRegistrationError,
    activate_version,
    comparable_metrics,
    register_bundle,
    rollback,
)
from hemosight.core.store.base import ModelVersion

router = APIRouter(
    prefix="/model-versions", tags=["model-versions"], responses=error_responses(400, 401, 403, 404, 409, 503)
)


def model_version_public(m: ModelVersion) -> ModelVersionPublic:
    return ModelVersionPublic(
        version=m.version,
        created=m.created,
        default_label_set=m.default_label_set,
        label_sets=m.label_sets,
        metrics=m.metrics,
        comparable_metrics=comparable_metrics(m.metrics),
        reference_count=m.reference_count,
        active=m.active,
        registered_at=m.registered_at,
        registered_by=m.registered_by,
        activated_at=m.activated_at,
        stored=is_kept_in_store(m),
    )


@router.get("", response_model=list[ModelVersionPublic])
async def list_model_versions(store: StoreDep, _: CurrentUser) -> list[ModelVersionPublic]:
    return [model_version_public(m) for m in await store.list_model_versions()]


@router.post("", response_model=ModelVersionPublic, status_code=status.HTTP_201_CREATED)
async def upload_model_version(
    store: StoreDep,
    user: AdminUser,
    file: Annotated[UploadFile, File(description="a model bundle (.hsb) made by `hemosight train`")],
    activate: Annotated[bool, Form(description="switch the workers to it at once")] = False,
) -> ModelVersionPublic:
    """Keep the bundle in the store (data folder or GridFS) and register it; workers load it when it is activated."""
    with tempfile.TemporaryDirectory(prefix="hemosight-upload-") as folder:
        path = Path(folder) / "bundle.hsb"
        with open(path, "wb") as handle:
            shutil.copyfileobj(file.file, handle, 1 << 20)
        try:
            model = await register_bundle(store, path, activate=activate, upload=True, registered_by=user.username)
        except ModelRegistrationError as exc:
            message = str(exc).replace(str(path), file.filename or "the file")
            code = status.HTTP_409_CONFLICT if "is active" in message else status.HTTP_400_BAD_REQUEST
            raise HTTPException(code, message) from None
        except BundleFileError as exc:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from None
    return model_version_public(model)


@router.post("/rollback", response_model=ModelVersionPublic)
async def rollback_model_version(store: StoreDep, _: AdminUser) -> ModelVersionPublic:
    """Re-activate the version that was active before the current one."""
    try:
        return model_version_public(await rollback(store))
    except ModelRegistrationError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None


@router.post("/{version}/activate", response_model=ModelVersionPublic)
async def activate_model_version(version: str, store: StoreDep, _: AdminUser) -> ModelVersionPublic:
    """Workers switch to this version before their next batch (no restart); new results record it."""
    try:
        return model_version_public(await activate_version(store, version))
    except ModelRegistrationError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
