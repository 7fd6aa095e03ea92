"""The worker loop with real stores, real bundles and real images."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from hemosight.core.model_registry import register_bundle
from hemosight.core.settings import Settings
from hemosight.core.store.base import Image, Project, Store
from hemosight.core.store.sqlite import SQLiteStore
from hemosight.ml.bundle import CellAnalysis, ModelBundle
from hemosight.worker.runner import Worker, WorkerConfig

pytestmark = pytest.mark.anyio


async def add_images(store: Store, paths: list[Path], project: Project | None = None) -> tuple[Project, list[str]]:
    project = project or await store.create_project(Project(name="Case", owner_id="u1"))
    job_ids = []
    for path in paths:
        image = Image(
            project_id=project.id,
            filename=path.name,
            sha256="",
            size=0,
            format="JPEG",
            width=360,
            height=363,
            uploaded_by="u1",
        )
        _, job, _ = await store.add_image(image, path.read_bytes())
        job_ids.append(job.id)
    return project, job_ids


async def test_without_an_active_model_jobs_stay_pending(store: SQLiteStore, originals: list[Path]) -> None:
    _, [job_id] = await add_images(store, originals[:1])
    worker = Worker(store)
    assert await worker.run_once() == 0
    job = await store.get_job(job_id)
    assert job is not None and job.status == "pending" and job.attempts == 0


async def test_worker_classifies_a_batch_and_writes_full_results(
    store: SQLiteStore, originals: list[Path], bundle_path: Path
) -> None:
    await register_bundle(store, bundle_path, activate=True)
    project, _job_ids = await add_images(store, originals[:12])
    worker = Worker(store, WorkerConfig(batch_size=5))
    assert await worker.run_until_idle() == 12
    entries = await store.list_image_entries(project.id)
    assert all(e.job.status == "done" and e.job.attempts == 1 for e in entries)
    result = entries[0].result
    assert result is not None and result.model_version == "test-0"
    assert set(result.labels) == {"cell_type", "cell_size"}
    for label_set, probabilities in result.probabilities.items():
        assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-3)
        assert result.labels[label_set] == max(probabilities, key=probabilities.__getitem__)
    assert len(result.neighbours) == 10
    assert [n.distance for n in result.neighbours] == sorted(n.distance for n in result.neighbours)
    assert result.landscape is not None


async def test_worker_reloads_when_another_model_is_activated(
    store: SQLiteStore, originals: list[Path], bundle_path: Path, second_bundle_path: Path
) -> None:
    await register_bundle(store, bundle_path, activate=True)
    worker = Worker(store)
    project, [first] = await add_images(store, originals[:1])
    await worker.run_until_idle()
    await register_bundle(store, second_bundle_path, activate=True)
    _, [second] = await add_images(store, originals[1:2], project)
    await worker.run_until_idle()
    entries = {e.job.id: e for e in await store.list_image_entries(project.id)}
    assert entries[first].result.model_version == "test-0"  # type: ignore[union-attr]
    assert entries[second].result.model_version == "test-1"  # type: ignore[union-attr]
    assert worker.model is not None and worker.model.version == "test-1"


async def test_undecodable_image_fails_at_once_with_the_reason(
    store: SQLiteStore, originals: list[Path], bundle_path: Path, tmp_path: Path
) -> None:
    await register_bundle(store, bundle_path, activate=True)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(originals[0].read_bytes()[:2000])
    _project, [bad, good] = await add_images(store, [broken, originals[1]])
    await Worker(store).run_until_idle()
    bad_job, good_job = await store.get_job(bad), await store.get_job(good)
    assert bad_job is not None and bad_job.status == "failed" and bad_job.attempts == 1
    assert bad_job.error and "truncated" in bad_job.error
    assert good_job is not None and good_job.status == "done"


async def test_a_dead_workers_jobs_are_taken_over(store: SQLiteStore, originals: list[Path], bundle_path: Path) -> None:
    await register_bundle(store, bundle_path, activate=True)
    _, job_ids = await add_images(store, originals[:3])
    # A worker that claims and then dies: its leases are never renewed.
    assert len(await store.claim_jobs("dead-worker", 10, 0.1, 3)) == 3
    await asyncio.sleep(0.2)
    survivor = Worker(store)
    assert await survivor.run_until_idle() == 3
    for job_id in job_ids:
        job = await store.get_job(job_id)
        assert job is not None and job.status == "done" and job.attempts == 2


def slow_bundle_loader(seconds_per_batch: float) -> Callable[[Path], ModelBundle]:
    """Load the real bundle, but make each batch take at least `seconds_per_batch`.

    How long a batch takes depends on the machine (a fast CI runner classified 30 cells in
    0.15 s); the lease test needs batches that outlast the lease everywhere, as on a slow CPU.
    """

    def load(path: Path) -> ModelBundle:
        bundle = ModelBundle.load(path)
        analyse = bundle.analyse

        def slow_analyse(images: Sequence[np.ndarray], k: int = 10, landscape: bool = True) -> list[CellAnalysis]:
            time.sleep(seconds_per_batch)
            return analyse(images, k, landscape)

        bundle.analyse = slow_analyse  # type: ignore[method-assign]
        return bundle

    return load


async def test_heartbeat_keeps_a_slow_batch_and_parallel_workers_share_the_work(
    settings: Settings, store: SQLiteStore, originals: list[Path], bundle_path: Path
) -> None:
    await register_bundle(store, bundle_path, activate=True)
    project, _job_ids = await add_images(store, originals[:30])
    others = [SQLiteStore(settings.resolved_data_dir) for _ in range(2)]
    for other in others:
        await other.open()
    lease = 0.15
    try:
        # Every batch takes three leases: only the heartbeat keeps the jobs with their worker.
        workers = [
            Worker(s, WorkerConfig(batch_size=8, lease_seconds=lease), load_bundle=slow_bundle_loader(3 * lease))
            for s in others
        ]
        for worker in workers:  # load the models first so that both compete for the jobs
            await worker.refresh_model()
        await asyncio.gather(*(w.run_until_idle() for w in workers))
    finally:
        for other in others:
            await other.close()
    assert sum(w.completed for w in workers) == 30
    assert all(w.completed > 0 for w in workers)
    entries = await store.list_image_entries(project.id)
    assert all(e.job.status == "done" and e.job.attempts == 1 and e.result is not None for e in entries)


async def test_a_damaged_new_model_leaves_the_worker_on_the_previous_one(
    store: SQLiteStore, originals: list[Path], bundle_path: Path, second_bundle_path: Path, tmp_path: Path
) -> None:
    await register_bundle(store, bundle_path, activate=True)
    worker = Worker(store)
    assert await worker.refresh_model()
    copy = tmp_path / "test-1.hsb"
    copy.write_bytes(second_bundle_path.read_bytes())
    await register_bundle(store, copy, activate=True)
    copy.write_bytes(b"damaged after registration")
    project, _ = await add_images(store, originals[:2])
    assert await worker.run_until_idle() == 2
    entries = await store.list_image_entries(project.id)
    assert {e.result.model_version for e in entries if e.result} == {"test-0"}
    assert worker.model is not None and worker.model.version == "test-0"


async def test_an_idle_worker_without_a_model_waits_instead_of_spinning(
    store: SQLiteStore, originals: list[Path], bundle_path: Path
) -> None:
    await add_images(store, originals[:1])
    worker = Worker(store, WorkerConfig(idle_poll_seconds=0.4))
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    await asyncio.sleep(1.0)
    assert 1 <= worker.idle_waits <= 5 and worker.completed == 0
    await register_bundle(store, bundle_path, activate=True)  # wakes the worker, which loads the model
    deadline = time.monotonic() + 60
    while worker.completed == 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    stop.set()
    await running
    assert worker.completed == 1 and worker.model is not None
