"""The audit's fault runs, repeated: counts of lost, duplicated and refused work under faults.

    python -m benchmarks.bench_reliability [--images 200] [--kills 3] [--server-kills 3] [--uploaders 8]

1. Worker SIGKILLed `--kills` times during `--images` images (benchmarks/kill_worker.py, reused).
2. `hemosight serve` SIGKILLed `--server-kills` times while a client uploads batches: every upload the server
   acknowledged (200 with an image id) must be in the store, with its file, after a restart.
3. `--uploaders` clients uploading at once into their own projects: no request may fail, nothing may be lost,
   and no "database is locked" may reach a client or the log.
4. Backups taken while clients upload and delete projects: each backup must be 0600, leave the signing key out,
   and restore with every image row's file present (restore checks it).

Images are distinct variants of the test fixtures (no shared data needed). Results are appended to
benchmarks/RESULTS.md with the command.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import stat
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from benchmarks import kill_worker
from benchmarks.pipeline import IMPORT_PATH, REPO, add_user, distinct_images, free_port, machine, write_result
from hemosight.core.backup import BackupError, backup, restore
from hemosight.core.store.sqlite import SQLiteStore

BATCH = 10


class Server:
    """`hemosight serve --workers 0` on a data folder (uploads only: this is about the store, not the model)."""

    def __init__(self, data_dir: Path, log: Path) -> None:
        self.data_dir, self.log = data_dir, log
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": IMPORT_PATH, "HEMOSIGHT_DEFAULT_MODEL": str(self.data_dir / "none.hsb")}
        command = [sys.executable, "-m", "hemosight.cli", "serve", "--data-dir", str(self.data_dir)]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [*command, "--port", str(self.port), "--workers", "0"], env=env, cwd=REPO, stdout=out, stderr=out
            )
        for _ in range(600):
            try:
                if httpx.get(f"{self.base}/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"serve did not start; see {self.log}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(60)

    def headers(self) -> dict[str, str]:
        token = httpx.post(f"{self.base}/auth/login", data={"username": "bench", "password": "benchmark-password"})
        return {"Authorization": f"Bearer {token.json()['access_token']}"}


def upload(client: httpx.Client, project: str, batch: list[tuple[str, bytes]]) -> list[str]:
    """Accepted image ids of one batch; raises on anything but a 200."""
    files = [("files", (name, data, "image/jpeg")) for name, data in batch]
    response = client.post(f"/projects/{project}/images", files=files)
    response.raise_for_status()
    return [f["image_id"] for f in response.json()["files"] if f["status"] == "accepted"]


async def stored_with_files(data_dir: Path) -> tuple[set[str], int]:
    """Ids of every stored image, and how many of them have no file."""
    store = SQLiteStore(data_dir)
    await store.open()
    try:
        ids, missing = set(), 0
        for project in await store.list_projects(None):
            for entry in await store.list_image_entries(project.id):
                ids.add(entry.image.id)
                missing += not store.blobs.exists(entry.image.sha256)
        return ids, missing
    finally:
        await store.close()


def server_kills(work: Path, kills: int, images: list[tuple[str, bytes]]) -> list[str]:
    data_dir = work / "server-kill"
    asyncio.run(add_user(data_dir))
    server = Server(data_dir, work / "server-kill.log")
    server.start()
    acknowledged: list[str] = []
    errors = 0
    batches = [images[i : i + BATCH] for i in range(0, len(images), BATCH)]
    per_round = max(1, len(batches) // (kills + 1))
    rng = random.Random(0)
    for round_ in range(kills + 1):
        headers = server.headers()
        with httpx.Client(base_url=server.base, headers=headers, timeout=60) as client:
            project = client.post("/projects", json={"name": f"round {round_}"}).json()["id"]
            mine = batches[round_ * per_round : (round_ + 1) * per_round]
            stop_at = time.monotonic() + rng.uniform(0.5, 2.0) if round_ < kills else float("inf")
            for batch in mine:
                if time.monotonic() > stop_at:
                    break
                try:
                    acknowledged += upload(client, project, batch)
                except httpx.HTTPError:
                    errors += 1
        if round_ < kills:
            # SIGKILL while the next batch is in flight: a thread sends it, the kill lands mid-request.
            sender = threading.Thread(target=_upload_quietly, args=(server, headers, project, batches[-1]))
            sender.start()
            time.sleep(rng.uniform(0.01, 0.2))
            server.kill()
            sender.join()
            server.start()
    server.stop()
    stored, missing = asyncio.run(stored_with_files(data_dir))
    lost = len(set(acknowledged) - stored)
    return [
        f"- server SIGKILL ×{kills} during uploads: {len(acknowledged)} uploads acknowledged, **{lost} lost**, "
        f"{missing} stored image(s) without a file, {errors} batch(es) refused before the kills",
    ]


def _upload_quietly(server: Server, headers: dict[str, str], project: str, batch: list[tuple[str, bytes]]) -> None:
    try:
        with httpx.Client(base_url=server.base, headers=headers, timeout=30) as client:
            upload(client, project, batch)
    except httpx.HTTPError:
        pass  # killed mid-request: not acknowledged, so it may or may not be stored


def concurrent_uploaders(work: Path, uploaders: int, images: list[tuple[str, bytes]]) -> list[str]:
    data_dir = work / "concurrent"
    asyncio.run(add_user(data_dir))
    log = work / "concurrent.log"
    server = Server(data_dir, log)
    server.start()
    headers = server.headers()
    share = [images[i::uploaders] for i in range(uploaders)]

    def run(k: int) -> tuple[list[str], list[str]]:
        ids, failures = [], []
        with httpx.Client(base_url=server.base, headers=headers, timeout=120) as client:
            project = client.post("/projects", json={"name": f"uploader {k}"}).json()["id"]
            for i in range(0, len(share[k]), BATCH):
                try:
                    ids += upload(client, project, share[k][i : i + BATCH])
                except httpx.HTTPStatusError as exc:
                    failures.append(f"{exc.response.status_code} {exc.response.text[:120]}")
        return ids, failures

    started = time.monotonic()
    with ThreadPoolExecutor(uploaders) as pool:
        outcomes = list(pool.map(run, range(uploaders)))
    elapsed = time.monotonic() - started
    server.stop()
    accepted = [i for ids, _ in outcomes for i in ids]
    failures = [f for _, fs in outcomes for f in fs]
    stored, missing = asyncio.run(stored_with_files(data_dir))
    locked = sum("database is locked" in f for f in failures) + log.read_text(errors="replace").count(
        "database is locked"
    )
    return [
        f"- {uploaders} concurrent uploaders, {len(images)} images in batches of {BATCH}: {len(accepted)} accepted "
        f"in {elapsed:.0f} s, **{len(set(accepted) - stored)} lost**, {len(failures)} failed request(s), "
        f"**{locked} 'database is locked'**, {missing} stored image(s) without a file",
    ]


def backups_during_writes(work: Path, rounds: int, images: list[tuple[str, bytes]]) -> list[str]:
    data_dir = work / "backup"
    asyncio.run(add_user(data_dir))
    server = Server(data_dir, work / "backup.log")
    server.start()
    headers = server.headers()
    stop = threading.Event()

    def writer() -> None:
        with httpx.Client(base_url=server.base, headers=headers, timeout=120) as client:
            k = 0
            while not stop.is_set():
                project = client.post("/projects", json={"name": f"churn {k}"}).json()["id"]
                start = (k * BATCH) % max(1, len(images) - BATCH)
                upload(client, project, images[start : start + BATCH])
                if k % 2:  # delete every other project again: files disappear while backups run
                    client.delete(f"/projects/{project}")
                k += 1

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    taken = private = with_key = restored = refused = 0
    for i in range(rounds):
        time.sleep(0.5)
        out = work / f"backup-{i}.tar.gz"
        try:
            backup(data_dir, out)
        except BackupError:
            refused += 1
            continue
        taken += 1
        private += stat.S_IMODE(out.stat().st_mode) == 0o600
        with tarfile.open(out) as archive:
            with_key += "secret_key" in archive.getnames()
        try:
            restore(out, work / f"restored-{i}")
            restored += 1
        except BackupError:
            pass
    stop.set()
    thread.join(120)
    server.stop()
    return [
        f"- {rounds} backups while a client uploads and deletes projects: {taken} written ({refused} refused), "
        f"{private} of them mode 0600, {with_key} with the signing key, **{restored} restored** with every image "
        f"row's file present ({taken - restored} refused by restore)",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--kills", type=int, default=3, help="worker SIGKILLs")
    parser.add_argument("--server-kills", type=int, default=3)
    parser.add_argument("--uploaders", type=int, default=8)
    parser.add_argument("--backups", type=int, default=5)
    parser.add_argument("--lease-seconds", type=float, default=5.0)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--model", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hemosight-reliability-"))
    images = distinct_images(args.images)
    lines = [f"Machine: {machine()}. {args.images} distinct images (variants of tests/fixtures/originals).", ""]
    worker = asyncio.run(kill_worker.run(args))
    lines += [f"- worker SIGKILL ×{args.kills} (benchmarks/kill_worker.py):", *[f"  {w}" for w in worker[2:]]]
    lines += server_kills(work, args.server_kills, images)
    lines += concurrent_uploaders(work, args.uploaders, images)
    lines += backups_during_writes(work, args.backups, images)
    write_result(
        "reliability",
        "Reliability under faults (the audit's runs)",
        ["python", "-m", "benchmarks.bench_reliability", *sys.argv[1:]],
        lines,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
