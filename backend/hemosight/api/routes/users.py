"""Accounts, managed by administrators. The rules (the core's accounts module) are shared with the command line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import APIRouter, HTTPException, Response, status

from hemosight.api.convert import user_public
from hemosight.api.deps import AdminUser, StoreDep
from hemosight.api.errors import error_responses
from hemosight.api.schemas import UserCreate, UserPublic, UserUpdate
from hemosight.core import accounts
from hemosight.core.store.base import ConflictError

router = APIRouter(prefix="/users", tags=["users"], responses=error_responses(400, 401, 403, 404, 409))


@contextmanager
def _account_errors() -> Iterator[None]:
    """The account rules' errors as HTTP answers: 400 bad input, 404 no such user, 409 username taken."""
    try:
        yield
    except accounts.AccountError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    except ConflictError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


@router.get("", response_model=list[UserPublic])
async def list_users(store: StoreDep, _: AdminUser) -> list[UserPublic]:
    return [user_public(u) for u in await store.list_users()]


@router.post("", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
async def create_user(body: UserCreate, store: StoreDep, _: AdminUser) -> UserPublic:
    with _account_errors():
        user = await accounts.create_user(store, body.username, body.password, body.role)
    return user_public(user)


@router.patch("/{user_id}", response_model=UserPublic)
async def update_user(user_id: str, body: UserUpdate, store: StoreDep, admin: AdminUser) -> UserPublic:
    with _account_errors():
        user = await accounts.update_user(store, user_id, admin, role=body.role, password=body.password)
    return user_public(user)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_user(user_id: str, store: StoreDep, admin: AdminUser) -> Response:
    with _account_errors():
        await accounts.delete_user(store, user_id, admin)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
