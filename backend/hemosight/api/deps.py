"""Dependencies shared by the routes, declared once as `Annotated` aliases.

Access rules live here so that no route can forget them: every route that takes
`CurrentUser` needs a valid token, and `ProjectDep` yields a project only to its members
(or an admin). A project the user may not see is reported exactly like one that does not
exist, so ids of other labs' cases cannot be probed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.security import OAuth2PasswordBearer

from hemosight.api.bundles import BundleCache
from hemosight.api.thumbnails import ThumbnailCache
from hemosight.core.security import TokenError, decode_access_token
from hemosight.core.settings import Settings
from hemosight.core.store.base import ImageEntry, Project, Store, User

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/login", auto_error=False)


def get_store(request: Request) -> Store:
    return request.app.state.store


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_bundles(request: Request) -> BundleCache:
    return request.app.state.bundles


def get_thumbnails(request: Request) -> ThumbnailCache:
    return request.app.state.thumbnails


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
BundlesDep = Annotated[BundleCache, Depends(get_bundles)]
ThumbnailsDep = Annotated[ThumbnailCache, Depends(get_thumbnails)]


def _unauthorised(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"})


async def get_current_user(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    access_token: Annotated[
        str | None, Query(description="The bearer token, for <img> tags that cannot send headers.")
    ] = None,
) -> User:
    # The query form exists for <img> tags, which only GET; anything that changes data needs the header.
    token = token or (access_token if request.method == "GET" else None)
    if not token:
        raise _unauthorised("Sign in first: this request needs a bearer token from POST /api/v1/auth/login.")
    try:
        claims = decode_access_token(token, settings.token_secret())
        user = await store.get_user(claims.subject)
        if user is None:
            raise _unauthorised("Your account no longer exists; ask an administrator.")
        claims.check_password(user.password_hash, settings.token_secret())
    except TokenError as exc:
        raise _unauthorised(str(exc)) from None
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_admin_user(user: CurrentUser) -> User:
    if user.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Only administrators can do this; ask an administrator.")
    return user


AdminUser = Annotated[User, Depends(get_admin_user)]


async def get_editor_user(user: CurrentUser) -> User:
    """Pathologists and admins change data; reviewers look and review."""
    if user.role == "reviewer":
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "Reviewers can view projects but not change them; ask a pathologist or admin."
        )
    return user


EditorUser = Annotated[User, Depends(get_editor_user)]


def can_see(user: User, project: Project) -> bool:
    return user.role == "admin" or user.id == project.owner_id or user.id in project.member_ids


def project_not_found(project_id: str) -> HTTPException:
    return HTTPException(
        status.HTTP_404_NOT_FOUND, f"Project {project_id} does not exist or you are not a member of it."
    )


async def get_project(project_id: str, store: StoreDep, user: CurrentUser) -> Project:
    project = await store.get_project(project_id)
    if project is None or not can_see(user, project):
        raise project_not_found(project_id)
    return project


ProjectDep = Annotated[Project, Depends(get_project)]


async def get_image_entry(image_id: str, store: StoreDep, user: CurrentUser) -> ImageEntry:
    entry = await store.get_image_entry(image_id)
    project = await store.get_project(entry.image.project_id) if entry else None
    if entry is None or project is None or not can_see(user, project):
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"Image {image_id} does not exist or is in a project you are not a member of."
        )
    return entry


ImageEntryDep = Annotated[ImageEntry, Depends(get_image_entry)]
