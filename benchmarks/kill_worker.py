"""Kill the worker with SIGKILL three times during a 200-image run; no job may be lost or completed twice.

    python -m benchmarks.kill_worker [--images 200] [--kills 3] [--model PATH]

Each time a given number of results has been written, the worker process is killed
(no cleanup of any kind can run) and a new one is started. Its in-flight jobs must come
back when their leases expire and be finished by the new worker.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import signal
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.pipeline import (
    WorkerProcess,
    benchmark_bundle,
    distinct_images,
    enqueue,
    machine,
    prepare_store,
    wait_all_finished,
    write_result,
)
from hemosight.core.store.sqlite import SQLiteStore


async def run(args: argparse.Namespace) -> list[str]:
    work = Path(tempfile.mkdtemp(prefix="hemosight-kill-"))
    bundle = benchmark_bundle(args.model, Path(tempfile.gettempdir()))
    data_dir = work / "data"
    await prepare_store(data_dir, bundle)
    worker_options = ["--lease-seconds", str(args.lease_seconds), "--batch-size", str(args.batch_size)]
    worker = WorkerProcess(data_dir, *worker_options)
    worker.wait_ready()
    store = SQLiteStore(data_dir)
    await store.open()
    started = time.monotonic()
    project = await enqueue(store, distinct_images(args.images))
    step = args.images // (args.kills + 1)
    kills = []
    for k in range(1, args.kills + 1):
        target = k * step
        while True:
            done = sum(e.job.status == "done" for e in await store.list_image_entries(project.id))
            if done >= target:
                break
            await asyncio.sleep(0.05)
        running = sum(e.job.status == "running" for e in await store.list_image_entries(project.id))
        worker.process.send_signal(signal.SIGKILL)
        worker.process.wait()
        kills.append(f"kill {k}: after {done} results, {running} job(s) in flight (pid {worker.process.pid})")
        worker = WorkerProcess(data_dir, *worker_options)
    counts = await wait_all_finished(store, project, timeout=1800)
    elapsed = time.monotonic() - started
    worker.stop()
    entries = await store.list_image_entries(project.id)
    await store.close()
    results_ok = sum(1 for e in entries if e.result is not None and e.result.job_id == e.job.id)
    attempts = collections.Counter(e.job.attempts for e in entries)
    verdict = counts["done"] == args.images and results_ok == args.images and counts["failed"] == 0
    return [
        f"Machine: {machine()}. Model: {bundle.name}. Lease {args.lease_seconds} s, batch {args.batch_size}.",
        "",
        *[f"- {line}" for line in kills],
        f"- final: {counts['done']} done, {counts['failed']} failed, "
        f"{counts['pending'] + counts['running']} unfinished of {args.images}; "
        f"{results_ok} results, one per job; {elapsed:.0f} s in total",
        f"- attempts per job: {dict(sorted(attempts.items()))} (jobs with 2+ attempts were in flight at a kill)",
        f"- **{'PASS' if verdict else 'FAIL'}**: no job lost, none failed, each completed once",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--lease-seconds", type=float, default=5.0)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--model", type=Path)
    args = parser.parse_args()
    lines = asyncio.run(run(args))
    write_result(
        "kill-worker",
        "Worker killed with SIGKILL during a run",
        ["python", "-m", "benchmarks.kill_worker", *sys.argv[1:]],
        lines,
    )
    return 0 if "**PASS**" in lines[-1] else 1


if __name__ == "__main__":
    sys.exit(main())
