"""Fuzz every operation of the served API with schemathesis: no 5xx, and no status the OpenAPI does not declare.

The app runs for real (uvicorn on a free port, SQLite store, a registered model, a project with an image), and
each generated request is sent signed in as an administrator (the role that reaches the most code). The token is
made for the account's current password before every request, so a request that changes that password (or any
other) cannot sign the fuzzer out. The example count per operation is bounded (FUZZ_EXAMPLES) so that the whole
run stays within ~2-3 minutes on a loaded 2-core machine; raise HEMOSIGHT_FUZZ_EXAMPLES for a deeper run.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from hemosight.api.main import create_app
from hemosight.core.accounts import create_user
from hemosight.core.model_registry import register_bundle
from hemosight.core.security import create_access_token
from tests.backend.conftest import make_settings
from tests.backend.test_serve import free_port, with_store

FUZZ_EXAMPLES = int(os.environ.get("HEMOSIGHT_FUZZ_EXAMPLES", "10"))
ORIGINAL = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "originals").glob("*.jpg"))[0]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, small_bundle_path: Path) -> Iterator[dict[str, Any]]:
    import asyncio

    import uvicorn

    settings_ = make_settings(tmp_path_factory.mktemp("fuzz"))
    data_dir = settings_.resolved_data_dir

    async def prepare(store: Any) -> str:
        await register_bundle(store, small_bundle_path, True)
        return (await create_user(store, "fuzz-admin", "fuzzing password", "admin")).id

    admin_id = asyncio.run(with_store(data_dir, prepare))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings_), host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        if server.started:
            break
        time.sleep(0.05)
    token = httpx.post(f"{base}/api/v1/auth/login", data={"username": "fuzz-admin", "password": "fuzzing password"})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    project = httpx.post(f"{base}/api/v1/projects", json={"name": "Fuzzed"}, headers=headers).json()["id"]
    files = [("files", (ORIGINAL.name, ORIGINAL.read_bytes(), "image/jpeg"))]
    httpx.post(f"{base}/api/v1/projects/{project}/images", files=files, headers=headers)

    def fresh_headers() -> dict[str, str]:
        """A token for the admin's password as it is now (a fuzzed PATCH /users/{id} may have changed it)."""
        with sqlite3.connect(data_dir / "hemosight.sqlite3") as conn:
            row = conn.execute("SELECT password_hash FROM users WHERE id = ?", (admin_id,)).fetchone()
        assert row is not None, "the fuzzing account was deleted"  # an admin cannot delete itself
        token = create_access_token(admin_id, settings_.token_secret(), 3600, password_hash=row[0])
        return {"Authorization": f"Bearer {token}"}

    schema = schemathesis.openapi.from_dict(httpx.get(f"{base}/api/v1/openapi.json").json())
    try:
        yield {"base": base, "schema": schema, "headers": fresh_headers}
    finally:
        server.should_exit = True
        thread.join(30)


def test_every_operation_answers_without_server_errors_or_undeclared_statuses(served: dict[str, Any]) -> None:
    schema = served["schema"]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30  # every operation of the API, not a subset
    failures: list[str] = []
    counts = {"requests": 0}

    for operation in operations:
        # Valid requests (reach the code behind validation) and invalid ones (must be refused with a 4xx).
        @given(case=operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(GenerationMode.NEGATIVE))
        @settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: Any) -> None:
            counts["requests"] += 1
            try:
                case.call_and_validate(
                    base_url=served["base"],
                    headers=served["headers"](),
                    checks=[not_a_server_error, status_code_conformance],
                    timeout=30,
                )
            except Exception as exc:  # schemathesis' failures (and anything else): collect them all
                failures.append(f"{case.method} {case.path}: {' '.join(str(exc).split()[:40])}")
                raise

        with contextlib.suppress(Exception):
            fuzz()
    assert counts["requests"] >= len(operations)
    assert failures == [], "\n".join(sorted(set(failures)))
