"""Projects (a case or a slide) and the summaries of their cells: landscape and differential count."""

from __future__ import annotations

import math
import re
from typing import Literal

from fastapi import APIRouter, HTTPException, Query, Response, status

from hemosight.api.bundles import BundleUnavailableError
from hemosight.api.case_review import review_state
from hemosight.api.convert import image_summary, project_public
from hemosight.api.deps import BundlesDep, CurrentUser, EditorUser, ProjectDep, StoreDep
from hemosight.api.errors import error_responses
from hemosight.api.reports import differential_count, differential_count_csv
from hemosight.api.schemas import (
    CellPoint,
    DifferentialCountPublic,
    LandscapePublic,
    ProjectCreate,
    ProjectPublic,
    ProjectUpdate,
    ReferencePoint,
)
from hemosight.core.store.base import Project

router = APIRouter(prefix="/projects", tags=["projects"], responses=error_responses(400, 401, 403, 404, 503))


@router.get("", response_model=list[ProjectPublic])
async def list_projects(store: StoreDep, user: CurrentUser) -> list[ProjectPublic]:
    projects = await store.list_projects(None if user.role == "admin" else user.id)
    usernames = {u.id: u.username for u in await store.list_users()}
    return [await project_public(store, p, usernames) for p in projects]


@router.post("", response_model=ProjectPublic, status_code=status.HTTP_201_CREATED)
async def create_project(body: ProjectCreate, store: StoreDep, user: EditorUser) -> ProjectPublic:
    project = await store.create_project(Project(name=body.name.strip() or body.name, owner_id=user.id))
    return await project_public(store, project)


@router.get("/{project_id}", response_model=ProjectPublic)
async def read_project(project: ProjectDep, store: StoreDep) -> ProjectPublic:
    return await project_public(store, project)


@router.patch("/{project_id}", response_model=ProjectPublic)
async def update_project(project: ProjectDep, body: ProjectUpdate, store: StoreDep, user: EditorUser) -> ProjectPublic:
    if body.name is not None:
        project.name = body.name.strip() or body.name
    if body.members is not None:
        ids = []
        for username in body.members:
            member = await store.get_user_by_username(username)
            if member is None:
                raise HTTPException(status.HTTP_400_BAD_REQUEST, f"There is no user {username!r}; check the spelling.")
            ids.append(member.id)
        project.member_ids = list(dict.fromkeys([project.owner_id, *ids]))
    await store.update_project(project)
    return await project_public(store, project)


@router.delete("/{project_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_project(project: ProjectDep, store: StoreDep, user: EditorUser) -> Response:
    await store.delete_project(project.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{project_id}/landscape", response_model=LandscapePublic)
async def landscape(project: ProjectDep, store: StoreDep, bundles: BundlesDep) -> LandscapePublic:
    """The active model's reference map with this project's cells placed on it (cells of other models are left out)."""
    model = await store.active_model_version()
    if model is None:
        return LandscapePublic(model_version=None, references=[], cells=[])
    try:
        bundle = await bundles.get(model)
    except BundleUnavailableError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from None
    refs = bundle.references
    ref_labels = refs.labels.get(bundle.default_label_set, [""] * len(refs))
    references = [
        ReferencePoint(reference_id=rid, x=float(xy[0]), y=float(xy[1]), label=label)
        for rid, xy, label in zip(refs.ids, refs.coordinates, ref_labels, strict=True)
    ]
    state = await review_state(store, project)
    cells = []
    for entry in state.entries:
        result = entry.result
        if not (
            result
            and result.landscape
            and result.model_version == model.version
            and math.isfinite(result.landscape[0] + result.landscape[1])
        ):
            continue
        summary = image_summary(entry)
        own = state.reviewed.get(entry.image.id)
        cells.append(
            CellPoint(
                image_id=entry.image.id,
                x=result.landscape[0],
                y=result.landscape[1],
                label=result.label,
                confidence=result.confidence,
                neighbours_agree=summary.neighbours_agree,
                needs_review=summary.needs_review and own is None,
                unusable=result.unusable,
                usable_confirmed=entry.image.id in state.confirmed,
                reviewed_label=own.label if own else None,
                runner_up=summary.runner_up,
                runner_up_probability=summary.runner_up_probability,
            )
        )
    return LandscapePublic(model_version=model.version, references=references, cells=cells)


@router.get(
    "/{project_id}/differential-count",
    response_model=DifferentialCountPublic,
    responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with ?format=csv"}},
)
async def read_differential_count(
    project: ProjectDep,
    store: StoreDep,
    label_set: str | None = Query(default=None, description="default: the label set the results were made for"),
    format: Literal["json", "csv"] = "json",
) -> DifferentialCountPublic | Response:
    results = [e.result for e in await store.list_image_entries(project.id) if e.result]
    model = await store.active_model_version()
    chosen = (
        label_set
        or (model.default_label_set if model else None)
        or (results[0].default_label_set if results else "cell_type")
    )
    known = set(model.label_sets) if model else set()
    for r in results:
        known.update(r.labels)
    if label_set is not None and label_set not in known:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"No label set {label_set!r} in this project's results; "
            f"available: {', '.join(sorted(known)) or 'none yet'}.",
        )
    classes = model.label_sets.get(chosen, []) if model else []
    reviewed = {label.image_id: label.label for label in await store.list_labels(chosen, project.id)}
    confirmed = await store.list_usable_confirmations(project.id)
    # A flagged cell counts once a person confirmed it, or labelled it (a reviewer's label is a confirmation).
    counted = confirmed.keys() | reviewed.keys()
    left_out = {r.image_id for r in results if r.unusable and r.image_id not in counted}
    count = differential_count([r for r in results if r.image_id not in left_out], chosen, classes, reviewed)
    count.unusable = len(left_out)
    if format == "csv":
        safe_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", project.name)[:80] or "project"
        return Response(
            differential_count_csv(count),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="differential-count-{safe_name}.csv"'},
        )
    return count
