"""Correcting and confirming the label of cells, with an audit trail that can be undone.

Every user who can see a project may label its cells: reviewers review, pathologists are the
clinical authority, admins manage. Each change joins the label set's support set; a worker
refits that label set's classifier and re-scores every result (poll `GET /label-sets/{name}`).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response, status

from hemosight.api.case_review import reason_for_change
from hemosight.api.deps import AdminUser, CurrentUser, ImageEntryDep, StoreDep, can_see
from hemosight.api.errors import error_responses
from hemosight.api.labelling import (
    cell_label_public,
    check_class,
    event_public,
    export_csv,
    stored_label_set,
    usernames_of,
)
from hemosight.api.schemas import BulkLabelCreate, ImageLabelsPublic, LabelCreate, LabelEventPublic, UndoCreate
from hemosight.core.store.base import ConflictError, ImageEntry, LabelEvent, LabelSet, Store, User

router = APIRouter(tags=["labels"], responses=error_responses(400, 401, 403, 404, 409))


def _label_event(
    entry: ImageEntry, label_set: LabelSet, label: str | None, action: str, user: User, reason: str | None = None
) -> LabelEvent:
    if label is None:
        if action != "confirm":
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "Give the label, or use action 'confirm'.")
        predicted = entry.result.labels.get(label_set.name) if entry.result else None
        if not predicted:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"Image {entry.image.id} has no prediction in {label_set.name!r} to confirm; give the label instead.",
            )
        label = predicted
    check_class(label_set, label)
    return LabelEvent(
        image_id=entry.image.id,
        project_id=entry.image.project_id,
        label_set=label_set.name,
        label=label,
        source="reviewer",
        user_id=user.id,
        action=action,
        reason=reason,
    )


@router.post("/images/{image_id}/labels", response_model=LabelEventPublic, status_code=status.HTTP_201_CREATED)
async def label_image(entry: ImageEntryDep, body: LabelCreate, store: StoreDep, user: CurrentUser) -> LabelEventPublic:
    """Correct (action "set") or confirm (action "confirm", label optional) the label of one cell.

    In a signed-off case a `reason` is required (409 without one) and the change enters the case's audit log."""
    label_set = await stored_label_set(store, body.label_set)
    reason = await reason_for_change(store, [entry.image.project_id], body.reason)
    [event] = await store.set_labels([_label_event(entry, label_set, body.label, body.action, user, reason)])
    return event_public(event, await usernames_of(store))


@router.get("/images/{image_id}/labels", response_model=ImageLabelsPublic)
async def read_image_labels(entry: ImageEntryDep, store: StoreDep) -> ImageLabelsPublic:
    """The cell's current label in every label set the lab labelled it in, and its label history."""
    usernames = await usernames_of(store)
    history = await store.list_label_events(image_id=entry.image.id)
    labels = {}
    for name in dict.fromkeys(e.label_set for e in history):
        for label in await store.list_labels(name, entry.image.project_id):
            if label.image_id == entry.image.id:
                labels[name] = cell_label_public(label, usernames)
    return ImageLabelsPublic(
        image_id=entry.image.id, labels=labels, history=[event_public(e, usernames) for e in history]
    )


async def _visible_entry(store: Store, user: User, image_id: str) -> ImageEntry | None:
    entry = await store.get_image_entry(image_id)
    project = await store.get_project(entry.image.project_id) if entry else None
    return entry if entry is not None and project is not None and can_see(user, project) else None


@router.post("/labels/bulk", response_model=list[LabelEventPublic], status_code=status.HTTP_201_CREATED)
async def label_many(body: BulkLabelCreate, store: StoreDep, user: CurrentUser) -> list[LabelEventPublic]:
    """Label or confirm many cells at once (e.g. the confirmation queue); all or nothing. A `reason` is
    required when a cell's case is signed off."""
    label_set = await stored_label_set(store, body.label_set)
    events, missing = [], []
    for item in body.items:
        entry = await _visible_entry(store, user, item.image_id)
        if entry is None:
            missing.append(item.image_id)
            continue
        events.append(_label_event(entry, label_set, item.label, body.action, user))
    if missing:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"Nothing was labelled: {len(missing)} image(s) do not exist or are in projects you are not a member of "
            f"({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''}).",
        )
    reason = await reason_for_change(store, [e.project_id for e in events], body.reason)
    for event in events:
        event.reason = reason
    usernames = await usernames_of(store)
    return [event_public(e, usernames) for e in await store.set_labels(events)]


@router.post("/labels/{change_id}/undo", response_model=LabelEventPublic, status_code=status.HTTP_201_CREATED)
async def undo_label(
    change_id: str, store: StoreDep, user: CurrentUser, body: UndoCreate | None = None
) -> LabelEventPublic:
    """Restore the label a change replaced (or remove the label if the cell had none); itself an audit entry.
    In a signed-off case a `reason` is required."""
    event = await store.get_label_event(change_id)
    if event is None or await _visible_entry(store, user, event.image_id) is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"There is no label change {change_id}, or it is in a project you cannot see."
        )
    reason = await reason_for_change(store, [event.project_id], body.reason if body else None)
    try:
        undo = await store.undo_label_event(change_id, user.id, reason)
    except ConflictError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    return event_public(undo, await usernames_of(store))


@router.get("/labels/export", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def export_labels(store: StoreDep, _: AdminUser, label_set: str | None = None) -> Response:
    """Administrators: every label change with its history (who, when, previous label), as CSV."""
    events = await store.list_label_events(label_set=label_set)
    filenames = {}
    for image_id in {e.image_id for e in events}:
        image = await store.get_image(image_id)
        if image is not None:
            filenames[image_id] = image.filename
    return Response(
        export_csv(events, await usernames_of(store), filenames),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="labels.csv"'},
    )
