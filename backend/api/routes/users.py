"""Accounts, managed by administrators."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, HTTPException, Response, status

from backend.accounts import normalise_username
from backend.api.convert import user_public
from backend.api.deps import AdminUser, StoreDep
from backend.api.errors import error_responses
from backend.schemas import UserCreate, UserPublic, UserUpdate
from backend.security import hash_password
from backend.store.base import ConflictError, User

router = APIRouter(prefix="/users", tags=["users"], responses=error_responses(400, 401, 403, 404, 409))


@router.get("", response_model=list[UserPublic])
async def list_users(store: StoreDep, _: AdminUser) -> list[UserPublic]:
    return [user_public(u) for u in await store.list_users()]


@router.post("", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
async def create_user(body: UserCreate, store: StoreDep, _: AdminUser) -> UserPublic:
    user = User(
        username=normalise_username(body.username),
        password_hash=await asyncio.to_thread(hash_password, body.password),
        role=body.role,
    )
    try:
        await store.create_user(user)
    except ConflictError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return user_public(user)


async def _user_or_404(store: StoreDep, user_id: str) -> User:
    user = await store.get_user(user_id)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"User {user_id} does not exist.")
    return user


@router.patch("/{user_id}", response_model=UserPublic)
async def update_user(user_id: str, body: UserUpdate, store: StoreDep, admin: AdminUser) -> UserPublic:
    user = await _user_or_404(store, user_id)
    if body.role is not None:
        if user.id == admin.id and body.role != "admin":
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST, "You cannot take away your own admin role; ask another administrator."
            )
        user.role = body.role
    if body.password is not None:
        user.password_hash = await asyncio.to_thread(hash_password, body.password)
    await store.update_user(user)
    return user_public(user)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_user(user_id: str, store: StoreDep, admin: AdminUser) -> Response:
    if user_id == admin.id:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, "You cannot delete your own account; ask another administrator."
        )
    await _user_or_404(store, user_id)
    await store.delete_user(user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
