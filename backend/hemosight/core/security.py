"""Password hashing (pwdlib, argon2) and signed, expiring bearer tokens.

Tokens are standard HS256 JWTs (header.payload.signature, base64url), written out here
in a few lines rather than adding a JWT dependency: we need exactly one algorithm, and
the checks that matter (constant-time signature comparison, expiry) are easy to read.
A token also carries a fingerprint of the password hash it was issued under, so that
changing a password signs out every session that used the old one (a stolen token dies
with the password) without keeping a list of issued tokens.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

from pwdlib import PasswordHash

from hemosight.ml.errors import HemosightError

_password_hash = PasswordHash.recommended()

_HEADER = {"alg": "HS256", "typ": "JWT"}


class TokenError(HemosightError, ValueError):
    """The token cannot be used; the message is what the user should be told."""


class TokenExpiredError(TokenError):
    pass


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """`password_hash=None` (unknown user) still spends the time of a real check, so response times do not
    reveal which usernames exist."""
    if password_hash is None:
        _password_hash.verify(password, _dummy_hash())
        return False
    try:
        return _password_hash.verify(password, password_hash)
    except Exception:  # an unreadable stored hash must read as "wrong password", never as a server error
        return False


@functools.cache
def _dummy_hash() -> str:
    return _password_hash.hash("not a real password")


def password_fingerprint(password_hash: str | None, secret: str) -> str:
    """A short keyed digest of a password hash: it changes with the password and reveals nothing of it."""
    return hmac.new(secret.encode(), (password_hash or "").encode(), hashlib.sha256).hexdigest()[:16]


def create_access_token(
    subject: str, secret: str, expires_in_seconds: float, now: float | None = None, password_hash: str | None = None
) -> str:
    issued = int(now if now is not None else time.time())
    payload = {
        "sub": subject,
        "iat": issued,
        "exp": issued + int(expires_in_seconds),
        "pwd": password_fingerprint(password_hash, secret),
    }
    signing_input = f"{_b64(json.dumps(_HEADER).encode())}.{_b64(json.dumps(payload).encode())}"
    return f"{signing_input}.{_b64(_sign(signing_input, secret))}"


@dataclass(frozen=True)
class TokenClaims:
    """What a valid token says: whose it is and under which password it was issued."""

    subject: str
    password_fingerprint: str

    def check_password(self, password_hash: str, secret: str) -> None:
        """Refuse a token issued under another password than the subject's current one."""
        if not hmac.compare_digest(self.password_fingerprint, password_fingerprint(password_hash, secret)):
            raise TokenError("Your password was changed since you signed in; sign in again with the new password.")


def decode_access_token(token: str, secret: str, now: float | None = None) -> TokenClaims:
    """The claims of a valid, unexpired token; raises TokenError otherwise (the password is checked by the caller)."""
    invalid = TokenError("Your sign-in token is not valid; sign in again.")
    parts = token.split(".")
    if len(parts) != 3:
        raise invalid
    signing_input = f"{parts[0]}.{parts[1]}"
    try:
        signature = _unb64(parts[2])
        header: dict[str, Any] = json.loads(_unb64(parts[0]))
        payload: dict[str, Any] = json.loads(_unb64(parts[1]))
    except (ValueError, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(header, dict) or not isinstance(payload, dict):  # valid JSON, but `[1,2]`, `null`, `"x"`...
        raise invalid
    if header.get("alg") != "HS256" or not hmac.compare_digest(signature, _sign(signing_input, secret)):
        raise invalid
    expires = payload.get("exp")
    subject = payload.get("sub")
    if not isinstance(expires, int) or not isinstance(subject, str):
        raise invalid
    if (now if now is not None else time.time()) >= expires:
        raise TokenExpiredError("Your session has expired; sign in again.")
    return TokenClaims(subject, str(payload.get("pwd", "")))


def _sign(signing_input: str, secret: str) -> bytes:
    return hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
