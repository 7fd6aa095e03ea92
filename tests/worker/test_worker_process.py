"""`hemosight worker` and `hemosight models` as real processes against one embedded store."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from hemosight.core.settings import Settings
from hemosight.core.store.sqlite import SQLiteStore
from tests.worker.test_runner import add_images

REPO = Path(__file__).resolve().parents[2]


def hemosight(*args: str) -> list[str]:
    return [sys.executable, "-m", "hemosight.cli", *args]


def test_models_commands_register_and_activate(settings: Settings, bundle_path: Path, second_bundle_path: Path) -> None:
    data = str(settings.resolved_data_dir)
    for path in (bundle_path, second_bundle_path):
        done = subprocess.run(
            hemosight("models", "add", str(path), "--data-dir", data), capture_output=True, text=True, cwd=REPO
        )
        assert done.returncode == 0 and "Registered model" in done.stdout, done.stderr
    activated = subprocess.run(
        hemosight("models", "activate", "test-1", "--data-dir", data), capture_output=True, text=True, cwd=REPO
    )
    assert activated.returncode == 0
    listing = subprocess.run(hemosight("models", "list", "--data-dir", data), capture_output=True, text=True, cwd=REPO)
    lines = listing.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [["test-0", str(bundle_path)], ["*", "test-1"]]


def test_worker_process_wakes_on_upload_and_stops_on_sigterm(
    settings: Settings, originals: list[Path], bundle_path: Path
) -> None:
    data = str(settings.resolved_data_dir)
    subprocess.run(hemosight("models", "add", str(bundle_path), "--activate", "--data-dir", data), check=True, cwd=REPO)
    worker = subprocess.Popen(
        hemosight("worker", "--data-dir", data, "--batch-size", "8"),
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    try:

        async def upload_and_wait() -> list[str]:
            store = SQLiteStore(settings.resolved_data_dir)
            await store.open()
            try:
                project, _ = await add_images(store, originals[:10])
                deadline = time.monotonic() + 90
                while time.monotonic() < deadline:
                    statuses = [e.job.status for e in await store.list_image_entries(project.id)]
                    if set(statuses) <= {"done", "failed"}:
                        return statuses
                    await asyncio.sleep(0.2)
                return statuses
            finally:
                await store.close()

        statuses = asyncio.run(upload_and_wait())
        assert statuses == ["done"] * 10
    finally:
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=60)
    assert worker.returncode == 0, stderr
    assert "stopped after 10 results" in stderr


def test_backend_serves_model_data_without_importing_tensorflow(tmp_path: Path, bundle_path: Path) -> None:
    """Landscape and reference thumbnails come from the bundle file; the web process must not load TensorFlow."""
    code = """
import sys
from pathlib import Path
from fastapi.testclient import TestClient
from hemosight.core.accounts import create_user
from hemosight.api.main import create_app
from hemosight.core.model_registry import register_bundle
from hemosight.core.settings import Settings

settings = Settings(data_dir=Path(sys.argv[1]), secret_key="k" * 40, frontend_dist=Path(sys.argv[1]) / "none")
with TestClient(create_app(settings)) as client:
    store = client.app.state.store
    client.portal.call(create_user, store, "ann", "correct horse", "pathologist")
    client.portal.call(register_bundle, store, Path(sys.argv[2]), True)
    token = client.post("/api/v1/auth/login", data={"username": "ann", "password": "correct horse"}).json()
    headers = {"Authorization": "Bearer " + token["access_token"]}
    project = client.post("/api/v1/projects", json={"name": "p"}, headers=headers).json()["id"]
    landscape = client.get(f"/api/v1/projects/{project}/landscape", headers=headers).json()
    first = landscape["references"][0]["reference_id"]
    thumbnail = client.get(f"/api/v1/references/{first}/thumbnail", headers=headers)
    assert thumbnail.status_code == 200 and thumbnail.content[:2] == b"\\xff\\xd8", thumbnail.text
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras"))
print(len(landscape["references"]), heavy)
sys.exit(1 if heavy else 0)
"""
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "data"), str(bundle_path)], capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert int(done.stdout.split()[0]) > 10, done.stdout
