"""Creating accounts outside the API: the first administrator has to come from somewhere."""

from __future__ import annotations

from backend.security import hash_password
from backend.store.base import ROLES, ConflictError, Store, User

MIN_PASSWORD_LENGTH = 8


async def create_user(store: Store, username: str, password: str, role: str = "pathologist") -> User:
    """Raises ValueError with a message for the user if the input cannot make an account."""
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; use one of {', '.join(ROLES)}.")
    if not username.strip():
        raise ValueError("The username must not be empty.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    user = User(username=username.strip(), password_hash=hash_password(password), role=role)
    try:
        return await store.create_user(user)
    except ConflictError as exc:
        raise ValueError(str(exc)) from None
