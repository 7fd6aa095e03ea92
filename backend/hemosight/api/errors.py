"""The error responses of the API, declared once so that the OpenAPI description (and the typed client
generated from it) knows every status a route can answer besides its success: `{"detail": "<words>"}`.

Each router passes `error_responses(...)` with the statuses its routes raise (directly or through the
dependencies in backend/hemosight/api/deps.py: 401 without a valid token, 403 for a role, 404 for a project or
image the user may not see). 422 (validation) is declared by FastAPI itself.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

DESCRIPTIONS = {
    400: "The request cannot be used as it is (the detail says why), or its body is not valid JSON",
    401: "No valid bearer token: sign in (again)",
    403: "Your role may not do this",
    404: "Not found, or not visible to you",
    409: "Conflicts with the current state (the detail says which)",
    413: "Too large: too many files, bytes, pixels or rows",
    415: "Not a supported image format",
    429: "Too many wrong passwords for this account from this address: wait (Retry-After)",
    503: "No model is available yet",
}


class ErrorPublic(BaseModel):
    """Every error the API sends: one sentence a user can act on."""

    detail: str


class StructuredError(Exception):
    """A 4xx whose body carries data beside `detail` (which it keeps, so every client can show words).

    The app's handler (backend/hemosight/api/main.py) sends `body` as it is; the route declares the body's
    model for that status in its `responses`.
    """

    def __init__(self, status_code: int, body: BaseModel) -> None:
        super().__init__(getattr(body, "detail", ""))
        self.status_code = status_code
        self.body = body


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a router or route: each status with the error body schema."""
    return {code: {"model": ErrorPublic, "description": DESCRIPTIONS[code]} for code in codes}


def error_response(code: int, model: type[BaseModel], description: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` for one status whose body is `model` (a `StructuredError`'s) rather than `ErrorPublic`."""
    return {code: {"model": model, "description": description}}
