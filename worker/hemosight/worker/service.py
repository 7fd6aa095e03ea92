"""Running a worker as a process: open the store, run the loop, stop cleanly on SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import signal

from hemosight.core.settings import Settings
from hemosight.core.store import open_store
from hemosight.worker.probes import serve_probes
from hemosight.worker.runner import Worker, WorkerConfig


def config_from(settings: Settings) -> WorkerConfig:
    return WorkerConfig(
        batch_size=settings.batch_size,
        lease_seconds=settings.lease_seconds,
        max_attempts=settings.job_max_attempts,
        neighbours_k=settings.neighbours_k,
        model_cache_dir=settings.model_cache_dir,
        encoder_backend=settings.encoder_backend,
        adapt_dir=settings.resolved_data_dir / "adapt",
    )


async def run_worker(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    store = await open_store(settings)
    worker = Worker(store, config_from(settings))
    probes = serve_probes(worker, settings.metrics_port) if settings.metrics_port else None
    try:
        await worker.run(stop)
    finally:
        if probes is not None:
            probes.shutdown()
        await store.close()
