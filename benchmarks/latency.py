"""Upload → result latency for one image at a time, through the HTTP API of `hemosight serve`.

    python -m benchmarks.latency [--samples 40] [--model PATH]

Starts `hemosight serve` (backend + one worker process) on a free port with a fresh data
folder, uploads one image with POST /projects/{id}/images/single, and polls
GET /images/{id} every 10 ms until the result is there; repeated for every sample.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from backend.accounts import create_user
from backend.store.sqlite import SQLiteStore
from benchmarks.pipeline import REPO, append_results, benchmark_bundle, distinct_images, machine, percentile


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def add_user(data_dir: Path) -> None:
    store = SQLiteStore(data_dir)
    await store.open()
    try:
        await create_user(store, "bench", "benchmark-password", "pathologist")
    finally:
        await store.close()


def upload_and_wait(client: httpx.Client, project: str, name: str, data: bytes, timeout: float = 120) -> float:
    started = time.perf_counter()
    response = client.post(f"/projects/{project}/images/single", files={"file": (name, data, "image/jpeg")})
    response.raise_for_status()
    image_id = response.json()["id"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"/images/{image_id}").json()["status"]
        if status in ("done", "failed"):
            if status == "failed":
                raise RuntimeError(f"Image {name} failed.")
            return time.perf_counter() - started
        time.sleep(0.01)
    raise TimeoutError(f"No result for {name} after {timeout} s.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--model", type=Path)
    args = parser.parse_args()
    bundle = benchmark_bundle(args.model, Path(tempfile.gettempdir()))
    data_dir = Path(tempfile.mkdtemp(prefix="hemosight-latency-")) / "data"
    asyncio.run(add_user(data_dir))
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"}
    serve = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "models.cli",
            "serve",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            "--model",
            str(bundle),
        ],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    images = distinct_images(args.samples + 1)
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        for _ in range(300):
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        token = httpx.post(f"{base}/auth/login", data={"username": "bench", "password": "benchmark-password"})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            project = client.post("/projects", json={"name": "latency"}).json()["id"]
            warm_up = upload_and_wait(client, project, *images[0], timeout=300)  # includes the worker loading the model
            latencies = [upload_and_wait(client, project, name, data) for name, data in images[1:]]
    finally:
        serve.send_signal(signal.SIGINT)
        serve.wait(60)
    lines = [
        f"Machine: {machine()}. Model: {bundle.name}. {len(latencies)} sequential single-image uploads "
        f"(first upload, {warm_up:.1f} s including model load, not counted).",
        "",
        f"- p50 **{percentile(latencies, 50) * 1000:.0f} ms**, p95 **{percentile(latencies, 95) * 1000:.0f} ms**, "
        f"max {max(latencies) * 1000:.0f} ms",
    ]
    append_results("Upload → result latency, one image", ["python", "-m", "benchmarks.latency", *sys.argv[1:]], lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
