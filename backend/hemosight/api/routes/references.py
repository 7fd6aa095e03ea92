"""Reference cells shipped in a model bundle: what a cell's neighbours look like."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query, Response, status

from hemosight.api.bundles import BundleUnavailableError
from hemosight.api.deps import BundlesDep, CurrentUser, StoreDep
from hemosight.api.errors import error_responses

router = APIRouter(prefix="/references", tags=["references"], responses=error_responses(401, 404, 503))


@router.get("/{reference_id}/thumbnail", response_class=Response, responses={200: {"content": {"image/jpeg": {}}}})
async def read_reference_thumbnail(
    reference_id: str,
    store: StoreDep,
    bundles: BundlesDep,
    _: CurrentUser,
    model_version: str | None = Query(default=None, description="default: the active model"),
) -> Response:
    model = await (store.get_model_version(model_version) if model_version else store.active_model_version())
    if model is None:
        detail = f"Model {model_version} is not registered." if model_version else "No model is active yet."
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail)
    try:
        bundle = await bundles.get(model)
        thumbnail = bundle.reference_thumbnail(reference_id)
    except BundleUnavailableError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from None
    except KeyError:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"Model {model.version} has no reference cell {reference_id!r}."
        ) from None
    return Response(thumbnail, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"})
