"""Sign in and who-am-I."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm

from backend.api.convert import user_public
from backend.api.deps import CurrentUser, SettingsDep, StoreDep
from backend.schemas import TokenPublic, UserPublic
from backend.security import create_access_token, verify_password

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", response_model=TokenPublic)
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], store: StoreDep, settings: SettingsDep
) -> TokenPublic:
    user = await store.get_user_by_username(form.username)
    # argon2 is deliberately slow: run it off the event loop so other requests are not held up.
    valid = await asyncio.to_thread(verify_password, form.password, user.password_hash if user else None)
    if not valid or user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Wrong username or password.")
    token = create_access_token(user.id, settings.token_secret(), settings.token_expire_minutes * 60)
    return TokenPublic(access_token=token, user=user_public(user))


@router.get("/me", response_model=UserPublic)
async def me(user: CurrentUser) -> UserPublic:
    return user_public(user)
