"""Shared pieces of the pipeline benchmarks: a model bundle, distinct test images, worker processes, reporting.

The benchmarks run real processes (`python -m hemosight.cli worker` / `serve`) against a
fresh embedded store in a temporary folder, so they measure what a lab would see.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import platform
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
from PIL import Image as PILImage

from hemosight.core.accounts import create_user
from hemosight.core.model_registry import register_bundle
from hemosight.core.store.base import Image, Project
from hemosight.core.store.sqlite import SQLiteStore

REPO = Path(__file__).resolve().parent.parent
#: PYTHONPATH for the service processes the benchmarks start: the `hemosight` namespace lives in four folders.
IMPORT_PATH = os.pathsep.join(str(REPO / home) for home in (".", "models", "backend", "worker"))
FIXTURES = REPO / "tests" / "fixtures"
RESULTS_DIR = REPO / "benchmarks" / "results"


def benchmark_bundle(model: Path | None, cache_dir: Path) -> Path:
    """The given bundle, else the shipped one, else an untrained full-size (224 px) bundle built from the fixtures.

    An untrained encoder costs exactly as much per image as a trained one, so throughput
    and latency are representative even before the default model exists.
    """
    from hemosight.ml.cli import DEFAULT_BUNDLE

    if model is not None:
        return model
    if DEFAULT_BUNDLE.is_file():
        return DEFAULT_BUNDLE
    path = cache_dir / "benchmark-224.hsb"
    if path.is_file():
        return path
    from hemosight.ml.builder import small_bundle
    from hemosight.ml.imageio import decode_image

    root = FIXTURES / "pbc"
    with open(root / "labels.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    images = [decode_image((root / r["path"]).read_bytes()) for r in rows]
    bundle = small_bundle(
        images,
        {"cell_type": [r["cell_type"] for r in rows]},
        [Path(r["path"]).stem for r in rows],
        version="benchmark-224",
        input_size=224,
    )
    return bundle.save(path)


def distinct_images(count: int) -> list[tuple[str, bytes]]:
    """`count` different JPEG crops (flips, rotations and a brightness step of the 40 originals)."""
    originals = sorted((FIXTURES / "originals").glob("*.jpg"))
    out = []
    for i in range(count):
        source = originals[i % len(originals)]
        array = np.asarray(PILImage.open(source).convert("RGB"))
        variant = i // len(originals)
        array = np.rot90(array, variant % 4)
        if variant % 8 >= 4:
            array = array[:, ::-1]
        array = np.clip(array.astype(np.int16) + (variant // 8), 0, 255).astype(np.uint8)
        buffer = io.BytesIO()
        PILImage.fromarray(np.ascontiguousarray(array)).save(buffer, format="JPEG", quality=92)
        out.append((f"{source.stem}-v{variant}.jpg", buffer.getvalue()))
    return out


async def prepare_store(data_dir: Path, bundle: Path) -> None:
    store = SQLiteStore(data_dir)
    await store.open()
    try:
        await register_bundle(store, bundle, activate=True)
    finally:
        await store.close()


async def enqueue(store: SQLiteStore, images: list[tuple[str, bytes]], name: str = "benchmark") -> Project:
    project = await store.create_project(Project(name=name, owner_id="benchmark"))
    for filename, data in images:
        record = Image(
            project_id=project.id,
            filename=filename,
            sha256="",
            size=0,
            format="JPEG",
            width=360,
            height=363,
            uploaded_by="benchmark",
        )
        await store.add_image(record, data)
    return project


async def wait_all_finished(store: SQLiteStore, project: Project, timeout: float, poll: float = 0.1) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        statuses = [e.job.status for e in await store.list_image_entries(project.id)]
        counts = {s: statuses.count(s) for s in ("pending", "running", "done", "failed")}
        if counts["pending"] == counts["running"] == 0 or time.monotonic() > deadline:
            return counts
        await asyncio.sleep(poll)


class WorkerProcess:
    """`hemosight worker` as a subprocess; `ready` is set once it has loaded the model."""

    def __init__(self, data_dir: Path, *extra: str) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": IMPORT_PATH,
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
        self.command = [sys.executable, "-m", "hemosight.cli", "worker", "--data-dir", str(data_dir), *extra]
        self.process = subprocess.Popen(self.command, env=env, stderr=subprocess.PIPE, text=True, cwd=REPO)
        self.ready = threading.Event()
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            if "Loaded model" in line:
                self.ready.set()

    def wait_ready(self, timeout: float = 180) -> None:
        if not self.ready.wait(timeout):
            raise RuntimeError("The worker did not load the model in time:\n" + "".join(self.lines[-20:]))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(60)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def machine() -> str:
    load = os.getloadavg()[0]
    return f"{platform.node()}, {os.cpu_count()} CPUs, load average {load:.1f} at start"


def write_result(name: str, title: str, command: list[str], lines: list[str]) -> None:
    """Write the run's summary to benchmarks/results/<name>.md, replacing the last one (history is in git), and
    print it; benchmarks/RESULTS.md quotes the numbers by capability."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = [f"## {title} ({stamp})\n\n", f"Command: `{shlex.join(command)}`\n\n", *[f"{line}\n" for line in lines]]
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / f"{name}.md").write_text("".join(text))
    print("".join(text))


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


@contextmanager
def serve_session(
    bundle: Path, data_dir: Path, *serve_args: str, log: Path | None = None, timeout: float = 60
) -> Iterator[tuple[httpx.Client, subprocess.Popen[bytes]]]:
    """`hemosight serve` on a fresh data folder, and an HTTP client signed in as a pathologist.

    The server's output goes to `log` (JSON lines) or nowhere; it is stopped with SIGINT on exit.
    """
    asyncio.run(add_user(data_dir))
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": IMPORT_PATH,
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "HEMOSIGHT_LOG_FORMAT": "json",
    }
    command = [sys.executable, "-m", "hemosight.cli", "serve", "--data-dir", str(data_dir), "--port", str(port)]
    output = log.open("wb") if log else subprocess.DEVNULL
    try:
        serve = subprocess.Popen(
            [*command, "--model", str(bundle), *serve_args], env=env, cwd=REPO, stdout=output, stderr=subprocess.STDOUT
        )
    finally:
        if log:
            output.close()  # type: ignore[union-attr]
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        for _ in range(600):
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        token = httpx.post(f"{base}/auth/login", data={"username": "bench", "password": "benchmark-password"})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        with httpx.Client(base_url=base, headers=headers, timeout=timeout) as client:
            yield client, serve
    finally:
        serve.send_signal(signal.SIGINT)
        serve.wait(60)
