"""Sustained classification throughput (images/s) with 1 and 2 worker processes.

    python -m benchmarks.throughput [--images 300] [--workers 1 2] [--model PATH]

Workers are started and allowed to load the model first; then all images are queued at
once and the clock runs until the last result is written.
"""

from __future__ import annotations

import argparse
import asyncio
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


async def measure(workers: int, images: list[tuple[str, bytes]], bundle: Path, batch_size: int) -> float:
    data_dir = Path(tempfile.mkdtemp(prefix=f"hemosight-throughput-{workers}-")) / "data"
    await prepare_store(data_dir, bundle)
    processes = [WorkerProcess(data_dir, "--batch-size", str(batch_size)) for _ in range(workers)]
    try:
        for process in processes:
            process.wait_ready()
        store = SQLiteStore(data_dir)
        await store.open()
        try:
            started = time.monotonic()
            project = await enqueue(store, images)
            counts = await wait_all_finished(store, project, timeout=3600, poll=0.05)
            elapsed = time.monotonic() - started
        finally:
            await store.close()
    finally:
        for process in processes:
            process.stop()
    if counts["done"] != len(images):
        raise RuntimeError(f"Not every image was classified: {counts}")
    return len(images) / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=300)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--model", type=Path)
    args = parser.parse_args()
    bundle = benchmark_bundle(args.model, Path(tempfile.gettempdir()))
    images = distinct_images(args.images)
    lines = [f"Machine: {machine()}. Model: {bundle.name}. {args.images} images, batch {args.batch_size}.", ""]
    for workers in args.workers:
        rate = asyncio.run(measure(workers, images, bundle, args.batch_size))
        lines.append(f"- {workers} worker(s): **{rate:.1f} images/s** (upload of all images included in the time)")
    write_result("throughput", "Sustained throughput", ["python", "-m", "benchmarks.throughput", *sys.argv[1:]], lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
