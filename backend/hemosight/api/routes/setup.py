"""First run: while no account exists, the app served on this machine creates the first administrator.

Only from the machine the server runs on: the client address must be loopback. That address is the
connection's peer, or the client a *trusted* proxy names (`Settings.trusted_proxies`, applied by uvicorn
before any route runs), so a remote client cannot claim to be local with X-Forwarded-For. A request that
came through any proxy at all (it carries X-Forwarded-For or Forwarded) is refused too: a proxy on this
machine that is not trusted would otherwise make every remote client look local. Two racing requests
create exactly one account (`Store.create_first_user`). Afterwards `hemosight create-admin` and the
/users API remain the ways to add accounts.
"""

from __future__ import annotations

import asyncio
import ipaddress

from fastapi import APIRouter, HTTPException, Request, status

from hemosight.api.convert import user_public
from hemosight.api.deps import SettingsDep, StoreDep
from hemosight.api.errors import error_responses
from hemosight.api.schemas import SetupCreate, SetupStatusPublic, TokenPublic
from hemosight.core import accounts
from hemosight.core.security import create_access_token, hash_password
from hemosight.core.store.base import ConflictError, User

router = APIRouter(prefix="/setup", tags=["setup"], responses=error_responses(400, 403, 409))

FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def is_local(request: Request) -> bool:
    """The request comes straight from this machine: a loopback client address and no proxy in between."""
    if any(header in request.headers for header in FORWARDING_HEADERS):
        return False
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@router.get("", response_model=SetupStatusPublic)
async def setup_status(request: Request, store: StoreDep) -> SetupStatusPublic:
    """Whether the first administrator still has to be created, and whether it can be done from here."""
    return SetupStatusPublic(needs_setup=await store.count_users() == 0, local=is_local(request))


@router.post("", response_model=TokenPublic, status_code=status.HTTP_201_CREATED)
async def create_first_admin(
    body: SetupCreate, request: Request, store: StoreDep, settings: SettingsDep
) -> TokenPublic:
    """Create the first administrator and sign them in; only while no account exists, only from this machine."""
    if not is_local(request):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "The first administrator can only be created from the machine HemoSight runs on (open the app at "
            "http://127.0.0.1:<port>/ there), or with 'hemosight create-admin'.",
        )
    if await store.count_users() > 0:
        raise HTTPException(status.HTTP_409_CONFLICT, "An account exists already; the set-up is over. Sign in.")
    try:
        username = accounts.check_username(body.username)
        password = accounts.check_password(body.password)
    except accounts.AccountError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    user = User(username=username, password_hash=await asyncio.to_thread(hash_password, password), role="admin")
    try:
        user = await store.create_first_user(user)
    except ConflictError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    token = create_access_token(
        user.id, settings.token_secret(), settings.token_expire_minutes * 60, password_hash=user.password_hash
    )
    return TokenPublic(access_token=token, user=user_public(user))
