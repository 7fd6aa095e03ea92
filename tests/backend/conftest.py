"""Fixtures for the backend tests: real stores in temporary folders, a real app, a real model bundle."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hemosight.core.settings import Settings
from hemosight.core.store.base import Store

MONGO_URI = os.environ.get("HEMOSIGHT_TEST_MONGO_URI")
STORE_KINDS = [
    "sqlite",
    pytest.param("mongo", marks=pytest.mark.skipif(not MONGO_URI, reason="HEMOSIGHT_TEST_MONGO_URI not set")),
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def make_settings(tmp_path: Path, kind: str = "sqlite", **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "secret_key": "test-secret-" + "x" * 32,
        "frontend_dist": tmp_path / "no-frontend",
    }
    if kind == "mongo":
        values |= {"mongo_uri": MONGO_URI, "mongo_database": f"hemosight_test_{uuid.uuid4().hex[:12]}"}
    values |= overrides
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(params=STORE_KINDS)
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    return make_settings(tmp_path, request.param)


@pytest.fixture
async def store(store_settings: Settings) -> AsyncIterator[Store]:
    """An opened store of each kind; a second `open_store(store_settings)` reaches the same database."""
    from hemosight.core.store import open_store

    opened = await open_store(store_settings)
    try:
        yield opened
    finally:
        if store_settings.mongo_uri:
            await opened.drop_database()  # type: ignore[attr-defined]
        await opened.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    from hemosight.api.main import create_app

    with TestClient(create_app(settings)) as test_client:
        yield test_client


class Api:
    """A signed-in view of the test client: `api.get(path)` sends the user's token to /api/v1/<path>."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def request(self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: object):
        headers = {**self.headers, **(headers or {})}
        return self.client.request(method, f"/api/v1/{path.lstrip('/')}", headers=headers, **kwargs)  # type: ignore[arg-type]

    def get(self, path: str, **kwargs: object):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: object):
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: object):
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: object):
        return self.request("DELETE", path, **kwargs)


def _sign_up(client: TestClient, username: str, role: str = "pathologist", password: str = "correct horse") -> Api:
    """Create the account directly in the app's store and sign in through the API."""
    from hemosight.core.accounts import create_user

    store = client.app.state.store  # type: ignore[attr-defined]
    client.portal.call(create_user, store, username, password, role)  # type: ignore[union-attr]
    response = client.post("/api/v1/auth/login", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return Api(client, response.json()["access_token"])


@pytest.fixture
def sign_up(client: TestClient) -> Callable[..., Api]:
    """`sign_up(username, role="pathologist")` → an `Api` signed in as that new user."""
    return lambda username, role="pathologist", password="correct horse": _sign_up(client, username, role, password)


@pytest.fixture
def admin(sign_up: Callable[..., Api]) -> Api:
    return sign_up("admin", "admin")


@pytest.fixture
def alice(sign_up: Callable[..., Api]) -> Api:
    return sign_up("alice")


@pytest.fixture
def bob(sign_up: Callable[..., Api]) -> Api:
    return sign_up("bob")
