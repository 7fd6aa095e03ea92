"""Failed sign-ins pause an account for a while; the window and reset rules of the throttle."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi.testclient import TestClient

from hemosight.api.sign_in_throttle import SignInThrottle

if TYPE_CHECKING:
    from tests.backend.conftest import Api

LOGIN = "/api/v1/auth/login"


def sign_in(client: TestClient, password: str, username: str = "alice") -> tuple[int, dict, dict]:
    response = client.post(LOGIN, data={"username": username, "password": password})
    return response.status_code, response.json(), dict(response.headers)


def test_the_sixth_attempt_after_five_wrong_passwords_is_refused_even_with_the_right_one(
    client: TestClient, alice: Api
) -> None:
    for _ in range(5):
        assert sign_in(client, "guess")[0] == 401
    status, body, headers = sign_in(client, "correct horse")
    assert status == 429
    assert body["detail"].startswith("Too many wrong passwords for this account. Try again in 15 minutes")
    assert 890 <= int(headers["retry-after"]) <= 900
    # Another account from the same address is not affected.
    assert sign_in(client, "guess", username="nobody")[0] == 401


def test_a_successful_sign_in_clears_the_count(client: TestClient, alice: Api) -> None:
    for _ in range(4):
        assert sign_in(client, "guess")[0] == 401
    assert sign_in(client, "correct horse")[0] == 200
    for _ in range(4):
        assert sign_in(client, "guess")[0] == 401
    assert sign_in(client, "correct horse")[0] == 200


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failures_leave_the_window_one_by_one() -> None:
    clock = Clock()
    throttle = SignInThrottle(max_failures=3, window_seconds=60, clock=clock)
    for _ in range(3):
        assert throttle.retry_after("Alice", "10.0.0.1") is None
        throttle.failed("alice ", "10.0.0.1")  # one account however it is typed
        clock.now += 10
    assert throttle.retry_after("ALICE", "10.0.0.1") == 30  # the first failure leaves at t = 60
    assert throttle.retry_after("alice", "10.0.0.2") is None  # another address is not paused
    clock.now += 30
    assert throttle.retry_after("alice", "10.0.0.1") is None
    throttle.failed("alice", "10.0.0.1")  # paused again until the second failure leaves
    assert throttle.retry_after("alice", "10.0.0.1") == 10
    clock.now += 100
    assert throttle.retry_after("alice", "10.0.0.1") is None
    assert throttle._failures == {}  # nothing kept for accounts that calmed down


def test_parallel_guesses_are_counted_while_in_flight(client: TestClient, alice: Api) -> None:
    from concurrent.futures import ThreadPoolExecutor

    passwords = ["guess"] * 39 + ["correct horse"]
    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(lambda p: sign_in(client, p)[0], passwords))
    # Only the allowance (5) reaches the password check; whatever the order, the rest wait.
    assert statuses.count(429) >= 35
    assert statuses.count(401) + statuses.count(200) <= 5


def test_usernames_are_one_account_however_typed(client: TestClient, alice: Api, admin: Api) -> None:
    assert sign_in(client, "correct horse", username="ALICE")[0] == 200
    for spelling in ("Alice", "alice ", "ALICE", "aLiCe", "alice"):
        assert sign_in(client, "guess", username=spelling)[0] == 401
    assert sign_in(client, "correct horse", username="Alice")[0] == 429
    created = admin.post("users", json={"username": "Bob", "password": "bob's password", "role": "reviewer"})
    assert created.status_code == 201 and created.json()["username"] == "bob"
    assert sign_in(client, "bob's password", username="BOB")[0] == 200
