"""Uploading cell images into a project, and reading them back with their results.

An upload is acknowledged only after the bytes are on disk (or in GridFS) and the image
and its job are committed, so a crash or Ctrl-C after the response loses nothing.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, HTTPException, Query, Response, UploadFile, status

from hemosight.api.bundles import BundleCache, BundleUnavailableError
from hemosight.api.case_review import refuse_if_signed_off, review_state
from hemosight.api.convert import image_public, image_summary, neighbours_public, result_public
from hemosight.api.deps import (
    BundlesDep,
    CurrentUser,
    EditorUser,
    ImageEntryDep,
    ProjectDep,
    SettingsDep,
    StoreDep,
    ThumbnailsDep,
)
from hemosight.api.errors import error_responses
from hemosight.api.forms import RefusedUpload, UploadRoute
from hemosight.api.lab_differential import is_counted
from hemosight.api.lab_differential import lab_label as lab_label_of
from hemosight.api.labelling import changed_image_ids, usernames_of
from hemosight.api.reports import results_csv
from hemosight.api.schemas import (
    AnalysedSquare,
    FileOutcome,
    ImagePublic,
    ImageResultPublic,
    ImageSummary,
    NeighbourPublic,
    UploadPublic,
)
from hemosight.api.thumbnails import make_thumbnail
from hemosight.api.uploads import UploadRejectedError, check_upload, shortened
from hemosight.core.settings import Settings
from hemosight.core.store.base import CellLabel, Image, ImageEntry, Project, Store, User
from hemosight.ml.imageio import formats_in_words
from hemosight.ml.preprocessing import analysed_square

router = APIRouter(
    tags=["images"], responses=error_responses(400, 401, 403, 404, 409, 413, 415), route_class=UploadRoute
)

SortKey = Literal["uploaded_at", "filename", "label", "confidence", "status"]


async def _read_limited(upload: UploadFile, max_bytes: int) -> bytes:
    """At most `max_bytes + 1` bytes: enough to tell that a file is too large without holding all of it."""
    return await upload.read(max_bytes + 1)


async def _store_upload(
    upload: UploadFile, project: Project, user: User, store: Store, settings: Settings
) -> tuple[Image, bool]:
    if isinstance(upload, RefusedUpload):  # the form parser skipped it (its name is too long to read)
        raise UploadRejectedError(400, upload.reason)
    data = await _read_limited(upload, settings.max_upload_bytes)
    checked = await asyncio.to_thread(
        check_upload, upload.filename, data, settings.max_upload_bytes, settings.max_image_pixels, upload.size
    )
    image = Image(
        project_id=project.id,
        filename=checked.filename,
        sha256="",
        size=len(data),
        format=checked.format,
        width=checked.width,
        height=checked.height,
        uploaded_by=user.id,
    )
    try:
        stored, _, duplicate = await store.add_image(image, data)
    except LookupError:
        raise UploadRejectedError(404, f"Project {project.id} was deleted while uploading.") from None
    return stored, duplicate


@router.post("/projects/{project_id}/images", response_model=UploadPublic)
async def upload_images(
    project: ProjectDep,
    files: Annotated[list[UploadFile], File(description=f"cell images ({formats_in_words()})")],
    store: StoreDep,
    settings: SettingsDep,
    user: EditorUser,
) -> UploadPublic:
    """Each file is checked on its own: a bad file is reported and the others are still accepted."""
    refuse_if_signed_off(project, "adding cells")
    if len(files) > settings.max_files_per_request:
        raise HTTPException(
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            f"You sent {len(files)} files; at most {settings.max_files_per_request} are accepted per request. "
            "Upload them in smaller batches.",
        )
    outcomes = []
    for upload in files:
        name = shortened(upload.filename or "unnamed")
        try:
            image, duplicate = await _store_upload(upload, project, user, store, settings)
        except UploadRejectedError as exc:
            outcomes.append(FileOutcome(filename=name, status="rejected", error=exc.message))
            continue
        finally:
            await upload.close()
        if duplicate:
            outcomes.append(
                FileOutcome(
                    filename=name,
                    status="duplicate",
                    image_id=image.id,
                    error=f"The same image is already in this project as {image.filename!r}.",
                )
            )
        else:
            outcomes.append(FileOutcome(filename=name, status="accepted", image_id=image.id))
    return UploadPublic(files=outcomes)


@router.post(
    "/projects/{project_id}/images/single",
    response_model=ImagePublic,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": ImagePublic, "description": "the same image was already in the project"}},
)
async def upload_image(
    project: ProjectDep,
    file: Annotated[UploadFile, File(description="one cell image")],
    store: StoreDep,
    settings: SettingsDep,
    user: EditorUser,
    response: Response,
) -> ImagePublic:
    refuse_if_signed_off(project, "adding cells")
    try:
        image, duplicate = await _store_upload(file, project, user, store, settings)
    except UploadRejectedError as exc:
        raise HTTPException(exc.status_code, exc.message) from None
    finally:
        await file.close()
    if duplicate:
        response.status_code = status.HTTP_200_OK
    entry = await store.get_image_entry(image.id)
    if entry is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Project {project.id} was deleted while uploading.")
    return image_public(entry)


@router.get("/projects/{project_id}/images", response_model=list[ImageSummary])
async def list_images(
    project: ProjectDep,
    store: StoreDep,
    label: str | None = Query(default=None, description="only cells predicted as this class"),
    status_filter: Literal["pending", "running", "done", "failed"] | None = Query(default=None, alias="status"),
    changed: bool | None = Query(default=None, description="only cells whose class changed at the last refit (true)"),
    lab_label: str | None = Query(
        default=None, max_length=200, description="only cells the lab differential counts under this class"
    ),
    counted: bool | None = Query(default=None, description="only cells the lab differential counts (true) or not"),
    sort: SortKey = "uploaded_at",
    order: Literal["asc", "desc"] = "asc",
) -> list[ImageSummary]:
    """The results grid. `lab_label` and `counted` follow the lab differential's own rule (lab_differential.py):
    filtering by `lab_label=X&counted=true` lists exactly the cells the differential counts as X."""
    state = await review_state(store, project)
    entries = state.entries
    summaries = [image_summary(e) for e in entries]
    model_of = {e.image.id: e.result.model_version for e in entries if e.result is not None}
    confirmed = state.confirmed
    usernames = await usernames_of(store)
    for entry, summary in zip(entries, summaries, strict=True):
        summary.usable_confirmed = summary.id in confirmed
        summary.lab_label = lab_label_of(entry, state.label_set, state.reviewed)
        summary.counted = is_counted(entry, state.reviewed, confirmed) and summary.lab_label is not None
        own = state.reviewed.get(summary.id)
        if own is not None:
            summary.reviewed_by, summary.reviewed_at = usernames.get(own.user_id, own.user_id), own.updated_at
    for label_set in {s.label_set for s in summaries if s.label_set}:
        reviewed = {c.image_id: c.label for c in await store.list_labels(label_set, project_id=project.id)}
        moved = {
            version: await changed_image_ids(store, label_set, version)
            for version in {model_of[s.id] for s in summaries if s.label_set == label_set}
        }
        for summary in summaries:
            if summary.label_set == label_set:
                summary.reviewed_label = reviewed.get(summary.id)
                summary.needs_review = summary.needs_review and summary.reviewed_label is None
                summary.changed = summary.id in moved[model_of[summary.id]]
    if changed is not None:
        summaries = [s for s in summaries if s.changed == changed]
    if label is not None:
        summaries = [s for s in summaries if s.label == label]
    if lab_label is not None:
        summaries = [s for s in summaries if s.lab_label == lab_label]
    if counted is not None:
        summaries = [s for s in summaries if s.counted == counted]
    if status_filter is not None:
        summaries = [s for s in summaries if s.status == status_filter]
    present = [s for s in summaries if getattr(s, sort) is not None]
    present.sort(key=lambda s: getattr(s, sort), reverse=order == "desc")
    return present + [s for s in summaries if getattr(s, sort) is None]


@router.get(
    "/projects/{project_id}/results",
    response_model=list[ImageResultPublic],
    responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with ?format=csv"}},
)
async def list_results(
    project: ProjectDep, store: StoreDep, format: Literal["json", "csv"] = "json"
) -> list[ImageResultPublic] | Response:
    """Every image of the project with its full result (all label sets, neighbours, landscape position), the lab's
    label and who reviewed it. The CSV has the predicted and the lab label in separate columns, with the lab's
    class names."""
    state = await review_state(store, project)
    entries = state.entries
    usernames = await usernames_of(store)
    if format == "csv":
        return Response(
            results_csv(entries, state.label_set, state.reviewed, usernames),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="results-{project.id}.csv"'},
        )
    return [
        ImageResultPublic(
            image_id=e.image.id,
            filename=e.image.filename,
            status=e.job.status,  # type: ignore[arg-type]
            error=e.job.error,
            result=result_public(e.result) if e.result else None,
            lab_label=lab_label_of(e, state.label_set, state.reviewed),
            **_reviewed_fields(state.reviewed.get(e.image.id), usernames),
        )
        for e in entries
    ]


def _reviewed_fields(own: CellLabel | None, usernames: dict[str, str]) -> dict[str, Any]:
    if own is None:
        return {}
    return {
        "reviewed_label": own.label,
        "reviewed_by": usernames.get(own.user_id, own.user_id),
        "reviewed_at": own.updated_at,
    }


async def _cell_public(store: Store, entry: ImageEntry, usable_confirmed: bool) -> ImagePublic:
    cell = image_public(entry, usable_confirmed)
    if entry.result is not None:
        labels = await store.list_labels(entry.result.default_label_set, entry.image.project_id)
        own = next((label for label in labels if label.image_id == entry.image.id), None)
        for name, value in _reviewed_fields(own, await usernames_of(store)).items():
            setattr(cell, name, value)
    return cell


async def _field_of_view(store: Store, bundles: BundleCache, entry: ImageEntry) -> AnalysedSquare | None:
    """The square the classifying model's encoder saw (its bundle is the one the neighbours' thumbnails come
    from, so usually already loaded); None while the bundle cannot be read."""
    model = await store.get_model_version(entry.result.model_version) if entry.result else None
    if model is None:
        return None
    try:
        preprocessing = (await bundles.get(model)).preprocessing
    except BundleUnavailableError:
        return None
    top, left, side = analysed_square(entry.image.height, entry.image.width, preprocessing)
    return AnalysedSquare(top=top, left=left, side=side)


@router.get("/images/{image_id}", response_model=ImagePublic)
async def read_image(entry: ImageEntryDep, store: StoreDep, bundles: BundlesDep) -> ImagePublic:
    """One cell with its result, who reviewed it when (`reviewed_by`, `reviewed_at`), and the square of it the
    model's encoder saw (`field_of_view`)."""
    confirmed = entry.image.id in await store.list_usable_confirmations(entry.image.project_id)
    cell = await _cell_public(store, entry, confirmed)
    cell.field_of_view = await _field_of_view(store, bundles, entry)
    return cell


@router.post("/images/{image_id}/confirm-usable", response_model=ImagePublic)
async def confirm_usable(entry: ImageEntryDep, store: StoreDep, user: CurrentUser) -> ImagePublic:
    """Count a cell the usable-cell check flagged: a person looked at it and says it is a usable cell.

    Anyone who can see the project may, as with labelling; a cell that was not flagged → 409.
    """
    if entry.result is None or entry.result.unusable is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"Image {entry.image.id} was not flagged as unusable"
            + (" (it is not classified yet)" if entry.result is None else "")
            + "; there is nothing to confirm.",
        )
    project = await store.get_project(entry.image.project_id)
    if project is not None:
        refuse_if_signed_off(project, "confirming a flagged cell")
    await store.confirm_usable(entry.image.id, user.id)
    return await _cell_public(store, entry, usable_confirmed=True)


MEDIA_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "BMP": "image/bmp",
    "TIFF": "image/tiff",
    "GIF": "image/gif",
    "WEBP": "image/webp",
}


async def _bytes(store: Store, entry: ImageEntryDep) -> bytes:
    data = await store.read_image_bytes(entry.image.sha256)
    if data is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"The file of image {entry.image.id} is missing from storage; upload it again."
        )
    return data


@router.get("/images/{image_id}/file", response_class=Response, responses={200: {"content": {"image/*": {}}}})
async def read_image_file(entry: ImageEntryDep, store: StoreDep) -> Response:
    return Response(
        await _bytes(store, entry),
        media_type=MEDIA_TYPES.get(entry.image.format, "application/octet-stream"),
        headers={"Cache-Control": "private, max-age=31536000, immutable"},
    )


@router.get("/images/{image_id}/thumbnail", response_class=Response, responses={200: {"content": {"image/jpeg": {}}}})
async def read_image_thumbnail(entry: ImageEntryDep, store: StoreDep, thumbnails: ThumbnailsDep) -> Response:
    thumbnail = thumbnails.get(entry.image.sha256)
    if thumbnail is None:
        thumbnail = await asyncio.to_thread(make_thumbnail, await _bytes(store, entry))
        thumbnails.put(entry.image.sha256, thumbnail)
    return Response(
        thumbnail, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=31536000, immutable"}
    )


@router.get("/images/{image_id}/neighbours", response_model=list[NeighbourPublic])
async def read_neighbours(entry: ImageEntryDep) -> list[NeighbourPublic]:
    if entry.result is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"Image {entry.image.id} is {entry.job.status}; its neighbours are shown once classification is done.",
        )
    return neighbours_public(entry.result)
