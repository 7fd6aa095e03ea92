"""What the review routes share: the lock a sign-off puts on labels, and the state of a case's review.

After sign-off the case's labels still may change (a pathologist finds a mistake), but only with a reason,
which the label change keeps and the case's audit log shows; what would change the differential any other
way (uploads, re-scoring, confirming flagged cells, case details) waits until an administrator reopens it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fastapi import HTTPException, status

from hemosight.api.permissions import is_signed_off
from hemosight.core.store.base import CellLabel, ImageEntry, Project, Store


async def reason_for_change(store: Store, project_ids: Iterable[str], reason: str | None) -> str | None:
    """The reason to keep with a label change: required (409 without one) when a case is signed off; dropped
    (None) when none is, since the audit log is about changes to signed-off cases."""
    signed = []
    for project_id in dict.fromkeys(project_ids):
        project = await store.get_project(project_id)
        if project is not None and is_signed_off(project):
            signed.append(project)
    if not signed:
        return None
    words = (reason or "").strip()
    if len(words) < 3:
        names = ", ".join(repr(p.name) for p in signed[:3])
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"The case {names} is signed off: a label change needs a reason (send 'reason', at least 3 characters); "
            "it is kept in the case's audit log.",
        )
    return words


def refuse_if_signed_off(project: Project, what: str) -> None:
    if is_signed_off(project):
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"The case {project.name!r} is signed off, so {what} is not possible; an administrator can reopen it "
            "(POST /projects/{id}/reopen with a reason).",
        )


@dataclass
class ReviewState:
    """A case's cells with the lab's labels in the label set the differential uses."""

    entries: list[ImageEntry]
    label_set: str
    classes: list[str]
    reviewed: dict[str, CellLabel]
    confirmed: dict[str, str]


async def review_state(store: Store, project: Project, label_set: str | None = None) -> ReviewState:
    """`label_set` None: the active model's default label set, else that of the case's first result."""
    entries = await store.list_image_entries(project.id)
    model = await store.active_model_version()
    first = next((e.result for e in entries if e.result), None)
    chosen = (
        label_set
        or (model.default_label_set if model else None)
        or (first.default_label_set if first else None)
        or "cell_type"
    )
    classes = list(model.label_sets.get(chosen, [])) if model else []
    reviewed = {label.image_id: label for label in await store.list_labels(chosen, project.id)}
    return ReviewState(entries, chosen, classes, reviewed, await store.list_usable_confirmations(project.id))
