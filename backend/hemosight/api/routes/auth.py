"""Sign in and who-am-I."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from hemosight.api.convert import user_public
from hemosight.api.deps import CurrentUser, SettingsDep, StoreDep
from hemosight.api.errors import error_responses
from hemosight.api.permissions import user_capabilities
from hemosight.api.schemas import MePublic, TokenPublic
from hemosight.api.sign_in_throttle import SignInThrottle
from hemosight.core.accounts import normalise_username
from hemosight.core.security import create_access_token, verify_password

router = APIRouter(prefix="/auth", tags=["auth"], responses=error_responses(401, 429))


@router.post("/login", response_model=TokenPublic)
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, store: StoreDep, settings: SettingsDep
) -> TokenPublic:
    throttle: SignInThrottle = request.app.state.sign_in_throttle
    address = request.client.host if request.client else "unknown"  # the trusted address: see `serve_options`
    username = normalise_username(form.username)
    wait = throttle.attempt(username, address)
    if wait is not None:
        minutes = max(1, round(wait / 60))
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"Too many wrong passwords for this account. Try again in {minutes} minute{'s' if minutes > 1 else ''}, "
            "or ask an administrator to reset the password.",
            headers={"Retry-After": str(wait)},
        )
    # Accounts made before usernames were normalised may have capitals: found as typed.
    user = await store.get_user_by_username(username) or await store.get_user_by_username(form.username.strip())
    # argon2 is deliberately slow: run it off the event loop so other requests are not held up.
    valid = await asyncio.to_thread(verify_password, form.password, user.password_hash if user else None)
    if not valid or user is None:  # the attempt reserved above stays counted
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Wrong username or password.")
    throttle.succeeded(username, address)
    token = create_access_token(
        user.id, settings.token_secret(), settings.token_expire_minutes * 60, password_hash=user.password_hash
    )
    return TokenPublic(access_token=token, user=user_public(user))


@router.get("/me", response_model=MePublic)
async def me(user: CurrentUser) -> MePublic:
    """The signed-in user and what they may do outside any one case (per case: GET /projects/{id}/capabilities)."""
    return MePublic(**user_public(user).model_dump(), capabilities=user_capabilities(user))
