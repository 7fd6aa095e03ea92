"""Sharing a case: list, add and remove its members (pathologists and admins manage them; the owner stays)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response, status

from hemosight.api.deps import EditorUser, ProjectDep, StoreDep
from hemosight.api.errors import error_responses
from hemosight.api.schemas import MemberCreate, MemberPublic
from hemosight.core.accounts import normalise_username
from hemosight.core.store.base import Project, Store

router = APIRouter(prefix="/projects", tags=["projects"], responses=error_responses(400, 401, 403, 404, 409))


async def members_public(store: Store, project: Project) -> list[MemberPublic]:
    users = {u.id: u for u in await store.list_users()}
    members = [users[m] for m in dict.fromkeys([project.owner_id, *project.member_ids]) if m in users]
    return sorted(
        (MemberPublic(username=u.username, role=u.role, is_owner=u.id == project.owner_id) for u in members),  # type: ignore[arg-type]
        key=lambda m: (not m.is_owner, m.username),
    )


@router.get("/{project_id}/members", response_model=list[MemberPublic])
async def list_members(project: ProjectDep, store: StoreDep) -> list[MemberPublic]:
    """Everyone who can see the case (administrators see every case without being members)."""
    return await members_public(store, project)


@router.post("/{project_id}/members", response_model=list[MemberPublic], status_code=status.HTTP_201_CREATED)
async def add_member(project: ProjectDep, body: MemberCreate, store: StoreDep, _: EditorUser) -> list[MemberPublic]:
    """Share the case with a user; returns the members afterwards. Adding a member twice changes nothing."""
    username = normalise_username(body.username)
    user = await store.get_user_by_username(username) or await store.get_user_by_username(body.username.strip())
    if user is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"There is no user {body.username!r}; check the spelling.")
    if user.id not in project.member_ids:
        project.member_ids = [*project.member_ids, user.id]
        await store.update_project(project)
    return await members_public(store, project)


@router.delete("/{project_id}/members/{username}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(project: ProjectDep, username: str, store: StoreDep, _: EditorUser) -> Response:
    """Stop sharing the case with a user. The owner cannot be removed."""
    user = await store.get_user_by_username(username)
    if user is None or user.id not in project.member_ids:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{username!r} is not a member of this case.")
    if user.id == project.owner_id:
        raise HTTPException(status.HTTP_409_CONFLICT, f"{username!r} owns this case and stays a member.")
    project.member_ids = [m for m in project.member_ids if m != user.id]
    await store.update_project(project)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
