"""`hemosight serve` as a real process: starts without a model, accepts uploads, Ctrl-C keeps them."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from hemosight.core.accounts import create_user
from hemosight.core.store.sqlite import SQLiteStore

REPO = Path(__file__).resolve().parents[2]
ORIGINALS = sorted((REPO / "tests" / "fixtures" / "originals").glob("*.jpg"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def with_store(data_dir: Path, action):
    store = SQLiteStore(data_dir)
    await store.open()
    try:
        return await action(store)
    finally:
        await store.close()


def test_serve_without_model_accepts_uploads_and_keeps_them_after_ctrl_c(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    asyncio.run(with_store(data_dir, lambda store: create_user(store, "alice", "correct horse")))
    port = free_port()
    env = {**os.environ, "HEMOSIGHT_DEFAULT_MODEL": str(tmp_path / "no-model.hsb"), "TF_CPP_MIN_LOG_LEVEL": "2"}
    serve = subprocess.Popen(
        [sys.executable, "-m", "hemosight.cli", "serve", "--data-dir", str(data_dir), "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                ready = httpx.get(f"{base}/readyz")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert ready.json() == {"database": True, "model_version": None}
        token = httpx.post(f"{base}/api/v1/auth/login", data={"username": "alice", "password": "correct horse"})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        project = httpx.post(f"{base}/api/v1/projects", json={"name": "Case"}, headers=headers).json()["id"]
        files = [("files", (p.name, p.read_bytes(), "image/jpeg")) for p in ORIGINALS[:3]]
        uploaded = httpx.post(f"{base}/api/v1/projects/{project}/images", files=files, headers=headers, timeout=30)
        assert [f["status"] for f in uploaded.json()["files"]] == ["accepted"] * 3
    finally:
        serve.send_signal(signal.SIGINT)
        output, _ = serve.communicate(timeout=60)
    assert serve.returncode == 0, output
    assert "no model is loaded" in output and "Traceback" not in output
    entries = asyncio.run(with_store(data_dir, lambda store: store.list_image_entries(project)))
    assert [e.job.status for e in entries] == ["pending"] * 3
    assert [e.image.filename for e in entries] == [p.name for p in ORIGINALS[:3]]


def start_serve(data_dir: Path, tmp_path: Path, *extra: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """`hemosight serve` on a free port (no model); returns the process and its base URL once it answers."""
    port = free_port()
    environment = {**os.environ, "HEMOSIGHT_DEFAULT_MODEL": str(tmp_path / "no-model.hsb"), **(env or {})}
    serve = subprocess.Popen(
        [sys.executable, "-m", "hemosight.cli", "serve", "--data-dir", str(data_dir), "--port", str(port), *extra],
        cwd=REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(f"{base}/readyz")
            return serve, base
        except httpx.TransportError:
            time.sleep(0.1)
    serve.kill()
    raise AssertionError(serve.communicate()[0])


def test_sigterm_stops_the_worker_too(tmp_path: Path) -> None:
    serve, _ = start_serve(tmp_path / "data", tmp_path, "--workers", "1")
    worker = 0
    try:
        assert serve.stdout is not None
        line = ""
        while "Started worker process" not in line:
            line = serve.stdout.readline()
            assert line, "serve ended before starting its worker"
        worker = int(line.split("Started worker process")[1].strip(" .\n"))
        os.kill(worker, 0)  # running
        serve.send_signal(signal.SIGTERM)
        output, _ = serve.communicate(timeout=90)
        assert "Traceback" not in output, output
        for _ in range(100):  # serve stopped it itself: nothing is left for the process manager to find
            os.kill(worker, 0)
            time.sleep(0.1)
    except ProcessLookupError:
        worker = 0
    finally:
        serve.kill()
        if worker:
            os.kill(worker, signal.SIGKILL)  # do not leak it when the test fails
    assert worker == 0, "the worker still ran 10 s after serve got SIGTERM"


def test_a_client_cannot_choose_its_address_with_x_forwarded_for(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    asyncio.run(with_store(data_dir, lambda store: create_user(store, "alice", "correct horse")))
    serve, base = start_serve(data_dir, tmp_path, "--workers", "0", env={"HEMOSIGHT_SIGN_IN_MAX_FAILURES": "2"})
    try:
        statuses = [
            httpx.post(
                f"{base}/api/v1/auth/login",
                data={"username": "alice", "password": "guess"},
                headers={"X-Forwarded-For": f"10.0.0.{i}"},
            ).status_code
            for i in range(4)
        ]
        assert statuses == [401, 401, 429, 429]  # one address (the peer's), whatever the header says
    finally:
        serve.send_signal(signal.SIGINT)
        serve.communicate(timeout=60)


def test_first_run_set_up_is_local_only_behind_uvicorns_proxy_handling(tmp_path: Path) -> None:
    """Served for real, with the loopback address as a trusted proxy: a forwarded client is never local, whatever
    address it claims, and the first admin is created once from this machine."""
    serve, base = start_serve(
        tmp_path / "data", tmp_path, "--workers", "0", env={"HEMOSIGHT_TRUSTED_PROXIES": "127.0.0.1"}
    )
    body = {"username": "chief", "password": "a long password"}
    try:
        assert httpx.get(f"{base}/api/v1/setup").json() == {"needs_setup": True, "local": True}
        for claimed in ("203.0.113.5", "127.0.0.1"):
            forwarded = httpx.post(f"{base}/api/v1/setup", json=body, headers={"X-Forwarded-For": claimed})
            assert forwarded.status_code == 403, claimed
        assert httpx.get(f"{base}/api/v1/setup", headers={"X-Forwarded-For": "127.0.0.1"}).json()["local"] is False
        created = httpx.post(f"{base}/api/v1/setup", json=body)
        assert created.status_code == 201 and created.json()["user"]["role"] == "admin"
        assert httpx.post(f"{base}/api/v1/setup", json=body).status_code == 409
    finally:
        serve.send_signal(signal.SIGINT)
        serve.communicate(timeout=60)
