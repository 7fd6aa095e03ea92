"""Slow down password guessing: too many failed sign-ins for one account from one address.

After `max_failures` wrong passwords within `window_seconds` for the same (username, client
address), further attempts are refused with 429 until the oldest failure leaves the window,
whatever the password. Keyed by both, so that someone guessing at an account from elsewhere
cannot lock its owner out. A successful sign-in clears the count.

An attempt is counted when it starts (`attempt`), before the slow password check, and only a
success takes it back: otherwise 40 guesses sent at once would all be checked while the count
still read zero. The address is the one the deployment trusts (`client_address`): the peer,
or what a trusted proxy says the peer was; never an X-Forwarded-For a client sends itself.

The counts live in the backend process: with several backend replicas each keeps its own,
which multiplies the allowance by the replica count but still caps guessing at a few attempts
per minute per account.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from hemosight.core.accounts import normalise_username


class SignInThrottle:
    def __init__(
        self, max_failures: int = 5, window_seconds: float = 900.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}

    def retry_after(self, username: str, address: str) -> int | None:
        """Whole seconds until this account may be tried again from this address; None if it may now."""
        failures = self._recent(self._key(username, address))
        if failures is None or len(failures) < self.max_failures:
            return None
        return max(1, math.ceil(failures[0] + self.window_seconds - self._clock()))

    def attempt(self, username: str, address: str) -> int | None:
        """Reserve one attempt before checking the password: counted as a failure unless `succeeded` follows.

        Returns the seconds to wait instead (nothing reserved) when the account is paused for this address.
        Check and reservation happen without an await in between, so concurrent requests cannot both pass.
        """
        wait = self.retry_after(username, address)
        if wait is None:
            self.failed(username, address)
        return wait

    def failed(self, username: str, address: str) -> None:
        key = self._key(username, address)
        self._failures.setdefault(key, deque()).append(self._clock())
        self._recent(key)

    def succeeded(self, username: str, address: str) -> None:
        self._failures.pop(self._key(username, address), None)

    def _recent(self, key: tuple[str, str]) -> deque[float] | None:
        """The failures still inside the window (older ones are dropped, empty entries removed)."""
        failures = self._failures.get(key)
        if failures is None:
            return None
        cutoff = self._clock() - self.window_seconds
        while failures and failures[0] <= cutoff:
            failures.popleft()
        while len(failures) > self.max_failures:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return None
        return failures

    @staticmethod
    def _key(username: str, address: str) -> tuple[str, str]:
        return normalise_username(username), address
