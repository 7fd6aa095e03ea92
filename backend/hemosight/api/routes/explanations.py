"""Explanations of a cell's classification: a heatmap a worker computes on request, cached as a PNG layer
that the browser lays over the cell image (transparent where the encoder did not look).

The API only queues and serves them; the heatmap needs the encoder's gradients (TensorFlow), which the API
process never loads (worker/hemosight/worker/explain.py computes it).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response, status
from fastapi.responses import JSONResponse

from hemosight.api.convert import API_PREFIX
from hemosight.api.deps import CurrentUser, ImageEntryDep, StoreDep
from hemosight.api.errors import error_responses
from hemosight.api.schemas import ExplanationPublic
from hemosight.core.store.base import Explanation, ImageEntry

router = APIRouter(tags=["explanations"], responses=error_responses(401, 404, 409))


def explanation_public(explanation: Explanation) -> ExplanationPublic:
    return ExplanationPublic(
        image_id=explanation.image_id,
        status=explanation.status,  # type: ignore[arg-type]
        model_version=explanation.model_version,
        method=explanation.method,
        error=explanation.error,
        requested_at=explanation.requested_at,
        updated_at=explanation.updated_at,
        image_url=f"{API_PREFIX}/images/{explanation.image_id}/explanation" if explanation.status == "done" else None,
    )


def is_heatmap_layer(png: bytes | None) -> bool:
    """True for a PNG with an alpha channel (IHDR colour type 6), as workers store the heatmap layer now; an
    opaque overlay computed by an earlier release does not line up with the cell view and is computed again."""
    return png is not None and len(png) > 25 and png[:8] == b"\x89PNG\r\n\x1a\n" and png[25] == 6


def _classified(entry: ImageEntry) -> str:
    if entry.result is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"Image {entry.image.id} is {entry.job.status}; it can be explained once it is classified.",
        )
    return entry.result.model_version


@router.post(
    "/images/{image_id}/explanation",
    response_model=ExplanationPublic,
    status_code=status.HTTP_202_ACCEPTED,
    responses={200: {"model": ExplanationPublic, "description": "already computed for the cell's current result"}},
)
async def request_explanation(
    entry: ImageEntryDep, store: StoreDep, user: CurrentUser, response: Response
) -> ExplanationPublic:
    """Queue the heatmap (202); one already computed or under way for the cell's current result is reused
    (unless it is an opaque overlay of an earlier release)."""
    model_version = _classified(entry)
    existing = await store.get_explanation(entry.image.id)
    if (
        existing is not None
        and existing.model_version == model_version
        and existing.status != "failed"
        and (existing.status != "done" or is_heatmap_layer(existing.png))
    ):
        if existing.status == "done":
            response.status_code = status.HTTP_200_OK
        return explanation_public(existing)
    queued = await store.request_explanation(
        Explanation(
            image_id=entry.image.id,
            project_id=entry.image.project_id,
            model_version=model_version,
            requested_by=user.id,
        )
    )
    return explanation_public(queued)


@router.get(
    "/images/{image_id}/explanation",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}}, "description": "the heatmap as a transparent layer over the cell image"},
        202: {"model": ExplanationPublic, "description": "queued or being computed: ask again shortly"},
    },
)
async def read_explanation(entry: ImageEntryDep, store: StoreDep) -> Response:
    """The PNG heatmap layer in the cell image's frame (200);
    202 with the status while it is computed; 404 if never requested for the current
    result; 409 with the reason if it failed (POST again to retry)."""
    model_version = _classified(entry)
    explanation = await store.get_explanation(entry.image.id)
    if explanation is None or explanation.model_version != model_version:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"No explanation of image {entry.image.id} was requested for its current result; "
            "request one with POST on this address.",
        )
    if explanation.status == "failed":
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"The explanation failed: {explanation.error} POST on this address to try again."
        )
    if explanation.status != "done" or explanation.png is None:
        return JSONResponse(
            explanation_public(explanation).model_dump(mode="json"),
            status_code=status.HTTP_202_ACCEPTED,
            headers={"Retry-After": "2"},
        )
    return Response(
        explanation.png,
        media_type="image/png",
        headers={"Cache-Control": "private, max-age=3600", "X-Explanation-Method": explanation.method or ""},
    )
