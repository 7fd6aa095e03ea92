"""The pieces around the API: the embedded store's file, the frontend on the same port, the CLI, no TensorFlow."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hemosight.api.main import create_app
from hemosight.core.settings import Settings
from hemosight.core.store.base import SCHEMA_VERSION, StoreError
from hemosight.core.store.sqlite import SQLiteStore

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_sqlite_uses_wal_and_refuses_a_newer_schema(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path)
    await store.open()
    await store.close()
    with sqlite3.connect(tmp_path / "hemosight.sqlite3") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    newer = SQLiteStore(tmp_path)
    with pytest.raises(StoreError, match="newer than this HemoSight"):
        await newer.open()
    await newer.close()


def test_frontend_is_served_with_spa_fallback(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<html>HemoSight app</html>")
    (dist / "assets" / "app.js").write_text("console.log('hi')")
    settings = Settings(data_dir=tmp_path / "data", secret_key="s" * 40, frontend_dist=dist)
    with TestClient(create_app(settings)) as client:
        assert client.get("/").text == "<html>HemoSight app</html>"
        assert client.get("/projects/123/review").text == "<html>HemoSight app</html>"
        assert client.get("/assets/app.js").text == "console.log('hi')"
        assert client.get("/../secret_key").text == "<html>HemoSight app</html>"
        api_miss = client.get("/api/v1/nothing-here")
        assert api_miss.status_code == 404 and api_miss.headers["content-type"] == "application/json"
        assert client.get("/healthz").json() == {"status": "ok"}


def test_without_a_built_frontend_only_the_api_is_served(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", secret_key="s" * 40, frontend_dist=tmp_path / "missing")
    with TestClient(create_app(settings)) as client:
        assert client.get("/").status_code == 404
        assert client.get("/healthz").status_code == 200


def run_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hemosight.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )


def test_backend_never_imports_tensorflow(tmp_path: Path) -> None:
    """Importing the app and the CLI, and reading a bundle's references, must leave TensorFlow out."""
    code = """
import sys
import hemosight.cli
hemosight.cli.build_parser()
from hemosight.api.main import create_app
from hemosight.core.settings import Settings
create_app(Settings(data_dir=sys.argv[1], secret_key="x" * 40))
import hemosight.api.bundles, hemosight.core.model_registry, hemosight.api.uploads, hemosight.api.thumbnails
import hemosight.api.routes.explanations, hemosight.api.report_pdf  # explanations are queued, computed by a worker
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras"))
print(heavy)
sys.exit(1 if heavy else 0)
"""
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr


def test_create_admin_and_models_commands(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    created = run_cli(
        "create-admin", "--data-dir", data, "--username", "root", "--password-stdin", stdin="long password\n"
    )
    assert created.returncode == 0 and "Administrator 'root' created" in created.stdout
    again = run_cli(
        "create-admin", "--data-dir", data, "--username", "root", "--password-stdin", stdin="long password\n"
    )
    assert again.returncode == 2 and "already taken" in again.stderr and "Traceback" not in again.stderr
    short = run_cli("create-admin", "--data-dir", data, "--username", "x", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "at least 8" in short.stderr
    listing = run_cli("models", "list", "--data-dir", data)
    assert listing.returncode == 0 and "No model registered" in listing.stdout
    missing = run_cli("models", "add", str(tmp_path / "nope.hsb"), "--data-dir", data)
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    not_bundle = tmp_path / "fake.hsb"
    not_bundle.write_text("hello")
    fake = run_cli("models", "add", str(not_bundle), "--data-dir", data)
    assert fake.returncode == 2 and "not a model bundle" in fake.stderr
    unknown = run_cli("models", "activate", "v9", "--data-dir", data)
    assert unknown.returncode == 2 and "No model version 'v9'" in unknown.stderr
