"""The rules for accounts, in one place for the command line (`hemosight create-admin`) and the API (/users).

The first administrator has to come from somewhere, so the command line creates accounts too;
both paths call these functions, so a username the API refuses cannot be created on the
command line, and the same words explain why.
"""

from __future__ import annotations

import asyncio
import re

from hemosight.core.security import hash_password
from hemosight.core.store.base import ROLES, Store, User
from hemosight.ml.errors import HemosightError

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
MAX_USERNAME_LENGTH = 64
#: Letters, digits and ``_ . @ -``: safe in URLs, logs and the audit trail.
USERNAME_PATTERN = r"^[A-Za-z0-9_.@-]+$"


class AccountError(HemosightError, ValueError):
    """The input cannot make or change an account; the message says why (HTTP 400)."""


def check_username(username: str) -> str:
    """The username as stored (see `normalise_username`), if it follows the rules."""
    username = normalise_username(username)
    if not username:
        raise AccountError("The username must not be empty.")
    if len(username) > MAX_USERNAME_LENGTH:
        raise AccountError(f"The username must have at most {MAX_USERNAME_LENGTH} characters.")
    if not re.match(USERNAME_PATTERN, username):
        raise AccountError("The username may contain only letters, digits and the characters _ . @ -")
    return username


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"The password must have at most {MAX_PASSWORD_LENGTH} characters.")
    return password


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}; use one of {', '.join(ROLES)}.")
    return role


def normalise_username(username: str) -> str:
    """One spelling per account: sign-in, the sign-in throttle and new accounts all use the lower-case name
    (usernames are ASCII, see `UserCreate`), so 'Alice' and 'alice' are the same person everywhere."""
    return username.strip().lower()


async def create_user(store: Store, username: str, password: str, role: str = "pathologist") -> User:
    """Raises AccountError for input that breaks the rules, ConflictError if the username is taken."""
    user = User(username=check_username(username), password_hash="", role=check_role(role))
    user.password_hash = await asyncio.to_thread(hash_password, check_password(password))
    return await store.create_user(user)


async def update_user(
    store: Store, user_id: str, acting: User, role: str | None = None, password: str | None = None
) -> User:
    """Change a role or a password. LookupError if there is no such user; administrators keep their own role."""
    user = await _existing(store, user_id)
    if role is not None:
        if user.id == acting.id and role != "admin":
            raise AccountError("You cannot take away your own admin role; ask another administrator.")
        user.role = check_role(role)
    if password is not None:
        user.password_hash = await asyncio.to_thread(hash_password, check_password(password))
    await store.update_user(user)
    return user


async def delete_user(store: Store, user_id: str, acting: User) -> None:
    """LookupError if there is no such user; nobody deletes their own account."""
    if user_id == acting.id:
        raise AccountError("You cannot delete your own account; ask another administrator.")
    await _existing(store, user_id)
    await store.delete_user(user_id)


async def _existing(store: Store, user_id: str) -> User:
    user = await store.get_user(user_id)
    if user is None:
        raise LookupError(f"User {user_id} does not exist.")
    return user
