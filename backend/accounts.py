"""Creating accounts outside the API: the first administrator has to come from somewhere."""

from __future__ import annotations

from backend.security import hash_password
from backend.store.base import ROLES, ConflictError, Store, User

MIN_PASSWORD_LENGTH = 8


def normalise_username(username: str) -> str:
    """One spelling per account: sign-in, the sign-in throttle and new accounts all use the lower-case name
    (usernames are ASCII, see `UserCreate`), so 'Alice' and 'alice' are the same person everywhere."""
    return username.strip().lower()


async def create_user(store: Store, username: str, password: str, role: str = "pathologist") -> User:
    """Raises ValueError with a message for the user if the input cannot make an account."""
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; use one of {', '.join(ROLES)}.")
    if not username.strip():
        raise ValueError("The username must not be empty.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    user = User(username=normalise_username(username), password_hash=hash_password(password), role=role)
    try:
        return await store.create_user(user)
    except ConflictError as exc:
        raise ValueError(str(exc)) from None
