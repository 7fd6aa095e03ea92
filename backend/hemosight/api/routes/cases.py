"""The review of a case: its details, sign-off and audit log, the lab differential, the printable report, and
what the signed-in user may do on it."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from fastapi import APIRouter, HTTPException, Query, Response, status

from hemosight.api.case_review import refuse_if_signed_off, review_state
from hemosight.api.convert import image_summary
from hemosight.api.csv_cells import SafeCsvWriter
from hemosight.api.deps import CurrentUser, EditorUser, ProjectDep, StoreDep, ThumbnailsDep
from hemosight.api.errors import error_responses
from hemosight.api.lab_classes import DISPLAY_NAMES, category
from hemosight.api.lab_differential import lab_differential
from hemosight.api.labelling import usernames_of
from hemosight.api.permissions import can_reopen, can_sign_off, is_signed_off, project_capabilities
from hemosight.api.report_pdf import MAX_FLAGGED, FlaggedCell, render_report
from hemosight.api.schemas import (
    AuditEntryPublic,
    CapabilitiesPublic,
    CaseDetailsPublic,
    CaseDetailsUpdate,
    ClassNamePublic,
    LabDifferentialPublic,
    ReopenCreate,
    SignOffCreate,
)
from hemosight.api.thumbnails import make_thumbnail
from hemosight.core.store.base import CaseEvent, ImageEntry, Project, Store, utcnow

router = APIRouter(prefix="/projects", tags=["cases"], responses=error_responses(400, 401, 403, 404, 409))
names_router = APIRouter(tags=["cases"], responses=error_responses(401))


async def details_public(store: Store, project: Project) -> CaseDetailsPublic:
    signer = await store.get_user(project.signed_off_by) if project.signed_off_by else None
    return CaseDetailsPublic(
        project_id=project.id,
        name=project.name,
        specimen_id=project.specimen_id,
        collection_date=date.fromisoformat(project.collection_date) if project.collection_date else None,
        analyser=project.analyser,
        wbc_count=project.wbc_count,
        note=project.note,
        status=project.status,  # type: ignore[arg-type]
        signed_off_by=signer.username if signer else project.signed_off_by,
        signed_off_at=project.signed_off_at,
    )


@names_router.get("/class-names", response_model=list[ClassNamePublic])
async def class_names(_: CurrentUser) -> list[ClassNamePublic]:
    """The lab's name and report category of every known class code; unknown codes read as the code, spaced."""
    return [ClassNamePublic(code=code, name=name, category=category(code)) for code, name in DISPLAY_NAMES.items()]


@router.get("/{project_id}/case", response_model=CaseDetailsPublic)
async def read_case(project: ProjectDep, store: StoreDep) -> CaseDetailsPublic:
    return await details_public(store, project)


@router.patch("/{project_id}/case", response_model=CaseDetailsPublic)
async def update_case(
    project: ProjectDep, body: CaseDetailsUpdate, store: StoreDep, user: EditorUser
) -> CaseDetailsPublic:
    """Change the case details (only the fields sent; null clears one). A signed-off case is reopened first."""
    refuse_if_signed_off(project, "changing its details")
    sent = body.model_fields_set
    if "collection_date" in sent and body.collection_date is not None:
        if body.collection_date > (datetime.now(UTC) + timedelta(days=1)).date():
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST,
                f"The collection date {body.collection_date.isoformat()} is in the future; check the date.",
            )
        if body.collection_date.year < 1900:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "The collection date is before 1900; check the year.")
    for name in ("specimen_id", "analyser", "note"):
        if name in sent:
            setattr(project, name, (getattr(body, name) or "").strip())
    if "collection_date" in sent:
        project.collection_date = body.collection_date.isoformat() if body.collection_date else None
    if "wbc_count" in sent:
        project.wbc_count = body.wbc_count
    await store.update_project(project)
    return await details_public(store, project)


@router.post("/{project_id}/sign-off", response_model=CaseDetailsPublic)
async def sign_off(
    project: ProjectDep, store: StoreDep, user: CurrentUser, body: SignOffCreate | None = None
) -> CaseDetailsPublic:
    """A pathologist (or an admin) signs the case off: its labels are locked (a change needs a reason, audited)."""
    if not can_sign_off(user):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "Only a pathologist or an administrator can sign a case off; ask a pathologist."
        )
    if is_signed_off(project):
        raise HTTPException(status.HTTP_409_CONFLICT, f"The case {project.name!r} is signed off already.")
    entries = await store.list_image_entries(project.id)
    if not entries:
        raise HTTPException(status.HTTP_409_CONFLICT, "The case has no cells yet; upload cells before signing off.")
    busy = sum(1 for e in entries if e.job.status in ("pending", "running"))
    if busy:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"{busy} cell(s) are still being classified; sign off once they are done."
        )
    if not await store.set_case_status(project.id, "signed_off", user.id, utcnow(), expected="in_review"):
        raise HTTPException(status.HTTP_409_CONFLICT, f"The case {project.name!r} was signed off meanwhile.")
    comment = (body.comment or "").strip() or None if body else None
    await store.add_case_event(CaseEvent(project_id=project.id, action="sign_off", user_id=user.id, reason=comment))
    return await details_public(store, await _reread(store, project))


@router.post("/{project_id}/reopen", response_model=CaseDetailsPublic)
async def reopen(project: ProjectDep, body: ReopenCreate, store: StoreDep, user: CurrentUser) -> CaseDetailsPublic:
    """An administrator opens a signed-off case again, with a reason (audited); it is in review until signed off."""
    if not can_reopen(user):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Only an administrator can reopen a signed-off case.")
    if not is_signed_off(project):
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"The case {project.name!r} is not signed off; nothing to reopen."
        )
    reason = body.reason.strip()
    if len(reason) < 3:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "Give a reason for reopening (at least 3 characters).")
    if not await store.set_case_status(project.id, "in_review", None, None, expected="signed_off"):
        raise HTTPException(status.HTTP_409_CONFLICT, f"The case {project.name!r} was reopened meanwhile.")
    await store.add_case_event(CaseEvent(project_id=project.id, action="reopen", user_id=user.id, reason=reason))
    return await details_public(store, await _reread(store, project))


async def _reread(store: Store, project: Project) -> Project:
    """The case as stored now (after a status change); 404 if it was deleted meanwhile."""
    fresh = await store.get_project(project.id)
    if fresh is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Project {project.id} was deleted meanwhile.")
    return fresh


@router.get("/{project_id}/audit", response_model=list[AuditEntryPublic])
async def audit_log(project: ProjectDep, store: StoreDep) -> list[AuditEntryPublic]:
    """Sign-offs, reopenings and every label change made while the case was signed off (with its reason)."""
    usernames = await usernames_of(store)
    filenames = {e.image.id: e.image.filename for e in await store.list_image_entries(project.id)}
    entries = [
        AuditEntryPublic(
            id=e.id,
            action=e.action,  # type: ignore[arg-type]
            username=usernames.get(e.user_id, e.user_id),
            created_at=e.created_at,
            reason=e.reason,
        )
        for e in await store.list_case_events(project.id)
    ]
    entries += [
        AuditEntryPublic(
            id=e.id,
            action=e.action,  # type: ignore[arg-type]
            username=usernames.get(e.user_id, e.user_id),
            created_at=e.created_at,
            reason=e.reason,
            image_id=e.image_id,
            filename=filenames.get(e.image_id),
            label_set=e.label_set,
            previous_label=e.previous_label,
            label=e.label,
        )
        for e in await store.list_label_events(project_id=project.id)
        if e.reason is not None
    ]
    entries.sort(key=lambda e: (e.created_at, e.id))
    return entries


@router.get("/{project_id}/capabilities", response_model=CapabilitiesPublic)
async def capabilities(project: ProjectDep, user: CurrentUser) -> CapabilitiesPublic:
    """What the signed-in user may do on this case now: the browser app shows only the buttons that are true."""
    return project_capabilities(user, project)


def _safe_name(project: Project) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", project.name)[:80] or "case"


@router.get(
    "/{project_id}/lab-differential",
    response_model=LabDifferentialPublic,
    responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with ?format=csv"}},
)
async def read_lab_differential(
    project: ProjectDep,
    store: StoreDep,
    label_set: str | None = Query(default=None, max_length=64, description="default: the model's default label set"),
    format: Literal["json", "csv"] = "json",
) -> LabDifferentialPublic | Response:
    """The differential as the lab reports it: white cells only in the percentages, platelets and NRBC apart
    (NRBC per 100 white cells), reviewed and not reviewed, absolute counts with the case's WBC count."""
    state = await review_state(store, project, label_set)
    if label_set is not None:
        known = set(state.classes) | {n for e in state.entries if e.result for n in e.result.labels}
        if label_set not in known:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND,
                f"No label set {label_set!r} in this case's results; "
                f"available: {', '.join(sorted(known)) or 'none yet'}.",
            )
    count = lab_differential(project, state.entries, state.label_set, state.classes, state.reviewed, state.confirmed)
    if format == "csv":
        return Response(
            lab_differential_csv(count),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="lab-differential-{_safe_name(project)}.csv"'},
        )
    return count


def lab_differential_csv(count: LabDifferentialPublic) -> str:
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer, lineterminator="\n")
    writer.writerow(["class", "code", "category", "count", "percentage_of_wbc", "absolute_1e9_per_l", "reviewed"])
    for row in count.classes:
        writer.writerow(
            [
                row.name,
                row.code,
                row.category,
                row.count,
                "" if row.percentage is None else f"{row.percentage:.1f}",
                "" if row.absolute is None else f"{row.absolute:.2f}",
                row.reviewed,
            ]
        )
    writer.writerow(["White cells", "", "wbc", count.white_cells, "100.0" if count.white_cells else "0.0", "", ""])
    nrbc = "" if count.nrbc_per_100_wbc is None else f"{count.nrbc_per_100_wbc:.1f}"
    writer.writerow(["NRBC per 100 WBC", "", "nrbc", count.nrbc, nrbc, "", ""])
    return buffer.getvalue()


@router.get(
    "/{project_id}/report.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the one-page case report"}},
)
async def report_pdf(project: ProjectDep, store: StoreDep, thumbnails: ThumbnailsDep) -> Response:
    """The printable report: case details, the lab differential, flagged cells with thumbnails, the sign-off."""
    state = await review_state(store, project)
    count = lab_differential(project, state.entries, state.label_set, state.classes, state.reviewed, state.confirmed)
    flagged: list[tuple[ImageEntry, FlaggedCell]] = []
    for entry in state.entries:
        if entry.result is None:
            continue
        reviewed = entry.image.id in state.reviewed
        if entry.result.unusable and entry.image.id not in state.confirmed and not reviewed:
            why = "unusable: " + entry.result.unusable
        elif image_summary(entry).needs_review and not reviewed:
            why = f"check: {100 * entry.result.confidence:.0f}% confident"
        else:
            continue
        label = state.reviewed[entry.image.id].label if reviewed else entry.result.labels.get(state.label_set, "")
        flagged.append((entry, FlaggedCell(entry.image.filename, label, why, None)))
    for entry, cell in flagged[:MAX_FLAGGED]:
        cell.thumbnail = thumbnails.get(entry.image.sha256)
        if cell.thumbnail is None:
            data = await store.read_image_bytes(entry.image.sha256)
            if data is not None:
                cell.thumbnail = await asyncio.to_thread(make_thumbnail, data)
                thumbnails.put(entry.image.sha256, cell.thumbnail)
    signer = await store.get_user(project.signed_off_by) if project.signed_off_by else None
    cells = [cell for _, cell in flagged]
    pdf = await asyncio.to_thread(render_report, project, count, cells, signer.username if signer else None)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="report-{_safe_name(project)}.pdf"'},
    )
