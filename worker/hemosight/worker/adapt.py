"""The worker's side of "Adapt to this lab": run a model job that makes a new, inactive model version.

A worker takes an adapt job only when no image is waiting (uploads come first), reads the
lab's cells and labels from the store, runs `hemosight.ml.lab_adaptation.adapt_bundle` in a
thread while a heartbeat keeps the lease and reports the phase, then saves the new bundle
(a temporary file renamed into place) and registers it with its bytes kept in the store, in
one call, not active. So:
- a worker killed mid-way leaves no model version; its lease runs out and the next worker
  resumes the fine-tune from its checkpoint folder (named after the job), or, once the
  attempts are used up, the job fails with a message in words;
- a worker killed after registering is recognised on the retry (the version name is the
  job's), which then only finishes the job;
- bad input (too few cells, no labels for a lab head) fails at once with the reason.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from hemosight.core.model_registry import ModelRegistrationError, register_bundle
from hemosight.core.settings import Settings
from hemosight.core.store.base import ModelJob, ModelVersion, Store
from hemosight.ml.adapt_options import AdaptOptions
from hemosight.ml.bundle import ModelBundle
from hemosight.ml.errors import InputError
from hemosight.ml.imageio import ImageDecodeError, decode_image

log = logging.getLogger("hemosight.worker.adapt")


@dataclass
class LabCells:
    images: list[np.ndarray]
    labels: list[str | None]
    image_ids: list[str]
    skipped: int


def adapted_version(base_version: str, job: ModelJob) -> str:
    """The job's version name: the same on every attempt, so a retry can tell it already registered."""
    return f"{base_version}-lab-{job.id[-8:]}"


def options_of(params: dict[str, Any]) -> AdaptOptions:
    known = {f.name for f in fields(AdaptOptions)}
    return AdaptOptions(**{k: v for k, v in params.get("options", {}).items() if k in known})


async def read_lab_cells(store: Store, project_ids: list[str], label_set: str) -> LabCells:
    """The projects' decodable cells with the lab's label of each in `label_set` (None when unlabelled)."""
    images: list[np.ndarray] = []
    labels: list[str | None] = []
    ids: list[str] = []
    skipped = 0
    for project_id in project_ids:
        given = {c.image_id: c.label for c in await store.list_labels(label_set, project_id)}
        for entry in await store.list_image_entries(project_id):
            data = await store.read_image_bytes(entry.image.sha256)
            if data is None:
                skipped += 1
                continue
            try:
                images.append(await asyncio.to_thread(decode_image, data))
            except ImageDecodeError:
                skipped += 1
                continue
            labels.append(given.get(entry.image.id))
            ids.append(entry.image.id)
    return LabCells(images, labels, ids, skipped)


class Adapter:
    """Claims and runs adapt jobs for one worker."""

    def __init__(self, store: Store, worker_id: str, lease_seconds: float, max_attempts: int, work_root: Path) -> None:
        self.store = store
        self.worker_id = worker_id
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.work_root = Path(work_root)
        self._phase = ("starting", 0.0)
        #: Also told of each new phase (the command line prints it when it runs the job itself).
        self.on_phase: Callable[[str, float], None] | None = None

    async def run_pending(self, bundle: ModelBundle, model: ModelVersion) -> bool:
        """Run one pending adapt job to its end; False when there was none."""
        job = await self.store.claim_model_job(self.worker_id, self.lease_seconds, self.max_attempts)
        if job is None:
            return False
        log.info("Adapting model %s to projects %s (job %s).", model.version, job.params.get("project_ids"), job.id)
        beat = asyncio.create_task(self._heartbeat(job.id))
        try:
            version = await self._run(job, bundle, model)
        except InputError as exc:
            await self._finish(job, str(exc), retry=False)
        except Exception as exc:
            log.exception("Adapt job %s failed.", job.id)
            await self._finish(job, f"Adapting failed ({type(exc).__name__}: {exc}).", retry=True)
        else:
            await self._finish(job, None, version=version)
            shutil.rmtree(self.work_root / job.id, ignore_errors=True)
        finally:
            beat.cancel()
        return True

    async def _run(self, job: ModelJob, bundle: ModelBundle, model: ModelVersion) -> str:
        from hemosight.ml.lab_adaptation import adapt_bundle

        version = adapted_version(model.version, job)
        if await self.store.get_model_version(version) is not None:
            return version  # an earlier attempt registered it and died before finishing the job
        options = options_of(job.params)
        options.check()
        label_set = options.label_set or bundle.default_label_set
        await self._report(job.id, "reading cells", 0.01)
        cells = await read_lab_cells(self.store, list(job.params.get("project_ids", [])), label_set)
        loop = asyncio.get_running_loop()

        def progress(phase: str, fraction: float) -> None:
            asyncio.run_coroutine_threadsafe(self._report(job.id, phase, fraction), loop)

        work_dir = self.work_root / job.id
        adapted = await asyncio.to_thread(
            adapt_bundle, bundle, cells.images, cells.labels, options, work_dir, version, progress
        )
        adapted.bundle.metrics["adaptation"].update(
            {"project_ids": list(job.params.get("project_ids", [])), "job_id": job.id, "skipped_cells": cells.skipped}
        )
        await self._report(job.id, "registering", 0.97)
        path = await asyncio.to_thread(adapted.bundle.save, work_dir / f"{version}.hsb")
        try:
            registered = await register_bundle(self.store, path, upload=True, registered_by=job.created_by)
        except ModelRegistrationError as exc:
            raise InputError(str(exc)) from None
        return registered.version

    async def _report(self, job_id: str, phase: str, fraction: float) -> None:
        if self.on_phase is not None and phase != self._phase[0]:
            self.on_phase(phase, fraction)
        self._phase = (phase, fraction)
        try:
            await self.store.update_model_job(self.worker_id, job_id, phase, round(fraction, 3), self.lease_seconds)
        except Exception:  # progress is a courtesy; the heartbeat retries
            log.exception("Could not record the progress of job %s.", job_id)

    async def _heartbeat(self, job_id: str) -> None:
        while True:
            await asyncio.sleep(max(self.lease_seconds / 3, 0.05))
            await self._report(job_id, *self._phase)

    async def _finish(self, job: ModelJob, error: str | None, retry: bool = False, version: str | None = None) -> None:
        status = await self.store.finish_model_job(self.worker_id, job.id, error, version, retry, self.max_attempts)
        if error is None:
            log.info("Adapt job %s registered model version %s (not active).", job.id, version)
        else:
            log.warning("Adapt job %s: %s (now %s).", job.id, error, status)


async def follow_adapt_job(
    store: Store,
    settings: Settings,
    project_ids: list[str],
    options: dict[str, Any],
    created_by: str,
    wait: bool,
    run_here: bool,
    poll_seconds: float = 2.0,
) -> int:
    """`hemosight adapt`: queue the job, then return, wait for a worker, or run it in this process."""
    import sys

    from hemosight.core.adapt_jobs import queue_adapt_job
    from hemosight.core.model_files import bundle_file
    from hemosight.worker.runner import new_worker_id

    job = await queue_adapt_job(store, project_ids, options, created_by)
    print(f"Queued adapt job {job.id} for {job.params['cells']} cells ({job.params['labelled_cells']} labelled).")
    if run_here:
        model = await store.active_model_version()
        if model is None:
            raise InputError("No model is active.")
        bundle = await asyncio.to_thread(ModelBundle.load, await bundle_file(store, model, settings.model_cache_dir))
        work_root = settings.resolved_data_dir / "adapt"
        adapter = Adapter(store, new_worker_id(), settings.lease_seconds, settings.job_max_attempts, work_root)
        adapter.on_phase = lambda phase, fraction: print(f"  running: {phase} ({fraction:.0%})", file=sys.stderr)
        await adapter.run_pending(bundle, model)
    elif not wait:
        print("A worker runs it ('hemosight worker'); the Models page shows its progress.")
        return 0
    last = ("", -1.0)
    while True:
        current = await store.get_model_job(job.id)
        assert current is not None
        if (current.phase, current.fraction) != last:
            last = (current.phase, current.fraction)
            print(f"  {current.status}: {current.phase} ({current.fraction:.0%})", file=sys.stderr)
        if current.status == "done":
            version = current.model_version
            print(
                f"Registered model version {version} (not active); compare it with 'hemosight models list "
                f"--metrics' and switch with 'hemosight models activate {version}'."
            )
            return 0
        if current.status == "failed":
            raise InputError(f"Adapt job {job.id} failed: {current.error}")
        await asyncio.sleep(poll_seconds)
