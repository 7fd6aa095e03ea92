"""The worker loop: claim a micro-batch of jobs → decode → `bundle.analyse` → write results.

When no image is waiting, the worker runs a pending model job (adapting the model to a lab,
worker/hemosight/worker/adapt.py): it takes minutes, so uploads always go first.

Why it is safe to run several workers and to kill any of them at any moment:
- jobs are claimed atomically with a lease (`Store.claim_jobs`); a background heartbeat
  renews the leases while the batch runs, so a slow batch is not taken away, and a dead
  worker's leases simply expire and its jobs go back to pending for another worker;
- a result is written only by the worker that still holds the lease
  (`Store.complete_job`), so a job is completed once even if two workers ran it;
- an image that cannot be decoded fails at once with the decoder's message (retrying
  would not help); any other error is retried until the attempts run out.

The active model is checked before every batch and whenever the store wakes the worker,
so `hemosight models activate` takes effect without a restart. TensorFlow is imported by
`ModelBundle.embed` on first use, in this process only.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hemosight.core.metrics import WorkerMetrics
from hemosight.core.model_files import bundle_file
from hemosight.core.settings import DEFAULT_DATA_DIR, MODEL_CACHE
from hemosight.core.store.base import Job, ModelVersion, NeighbourRecord, Result, Store
from hemosight.ml.bundle import CellAnalysis, ModelBundle
from hemosight.ml.classifiers import LabelSetClassifier
from hemosight.ml.imageio import ImageDecodeError, decode_image
from hemosight.worker.adapt import Adapter
from hemosight.worker.explain import explain_next
from hemosight.worker.refit import Refitter

log = logging.getLogger("hemosight.worker")


@dataclass
class WorkerConfig:
    batch_size: int = 32
    lease_seconds: float = 30.0
    max_attempts: int = 3
    #: How often an idle worker looks at the database anyway (expired leases need no wake-up signal).
    idle_poll_seconds: float = 2.0
    neighbours_k: int = 10
    #: Where bundles kept in MongoDB (GridFS) are downloaded to before loading.
    model_cache_dir: Path = DEFAULT_DATA_DIR / MODEL_CACHE
    #: "tensorflow" or an OpenVINO variant ("fp32", "bf16", "int8"); None: the bundle's default.
    encoder_backend: str | None = None
    #: Keep a refit only when it is not worse than the classifier in use (worker/hemosight/worker/refit.py).
    refit_score_gate: bool = True
    #: Working folders of adapt jobs (fine-tune checkpoints), one per job, removed when it is done.
    adapt_dir: Path = DEFAULT_DATA_DIR / "adapt"


def new_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class Worker:
    def __init__(
        self,
        store: Store,
        config: WorkerConfig | None = None,
        worker_id: str | None = None,
        load_bundle: Callable[[Path], ModelBundle] = ModelBundle.load,
    ) -> None:
        self.store = store
        self.config = config or WorkerConfig()
        self.worker_id = worker_id or new_worker_id()
        self._load_bundle = load_bundle
        self.bundle: ModelBundle | None = None
        self.model: ModelVersion | None = None
        self._failed_model: tuple[str, str] | None = None
        self._warned_no_model = False
        self.metrics = WorkerMetrics()
        self.refitter = Refitter(store, self.config.refit_score_gate)
        self.adapter = Adapter(
            store, self.worker_id, self.config.lease_seconds, self.config.max_attempts, self.config.adapt_dir
        )
        self.completed = 0
        #: Times the loop found nothing to do and waited: shows that an idle worker does not spin.
        self.idle_waits = 0

    # --- the loop ----------------------------------------------------------------------
    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Process jobs until `stop` is set; the batch in progress is finished first."""
        stop = stop or asyncio.Event()
        log.info("Worker %s started.", self.worker_id)
        while not stop.is_set():
            self.metrics.last_loop.set_to_current_time()
            try:
                processed = await self.run_once()
            except Exception:  # e.g. the database was unreachable; leases make retrying safe
                log.exception("The batch could not be finished; retrying shortly.")
                processed = 0
            if processed == 0:
                self.idle_waits += 1
                waiter = asyncio.create_task(self.store.wait_for_jobs(self.config.idle_poll_seconds))
                stopper = asyncio.create_task(stop.wait())
                await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
                for task in (waiter, stopper):
                    task.cancel()
        log.info("Worker %s stopped after %d results.", self.worker_id, self.completed)

    async def run_until_idle(self, timeout: float = 120.0) -> int:
        """Process until no job is pending (tests, benchmarks); returns the number of results written."""
        deadline = time.monotonic() + timeout
        before = self.completed
        while time.monotonic() < deadline:
            if await self.run_once() == 0:
                return self.completed - before
        raise TimeoutError(f"Jobs were still pending after {timeout:.0f} s.")

    async def run_once(self) -> int:
        """Claim and process one micro-batch; 0 when there was nothing to do (or no model to do it with)."""
        if not await self.refresh_model():
            return 0
        assert self.bundle is not None and self.model is not None
        # Label changes first: a reviewer is waiting for the updated predictions; then one explanation a
        # reviewer asked for (seconds), then a batch of cells.
        refitted = await self.refitter.refit_pending(self.bundle, self.model)
        explained = await explain_next(
            self.store, self.bundle, self.worker_id, self.config.lease_seconds, self.config.max_attempts
        )
        jobs = await self.store.claim_jobs(
            self.worker_id, self.config.batch_size, self.config.lease_seconds, self.config.max_attempts
        )
        if not jobs:
            # No upload waiting: a long model job (adapting to a lab) may run now.
            adapted = await self.adapter.run_pending(self.bundle, self.model)
            return len(refitted) + int(explained) + int(adapted)
        heartbeat = asyncio.create_task(self._heartbeat([j.id for j in jobs]))
        try:
            await self._process(jobs)
        finally:
            heartbeat.cancel()
        return len(jobs) + len(refitted) + int(explained)

    # --- model -------------------------------------------------------------------------
    async def refresh_model(self) -> bool:
        """Load the active bundle if it changed since the last batch; False while no model can be used."""
        active = await self.store.active_model_version()
        if active is None:
            if not self._warned_no_model:
                log.warning(
                    "No model is active; jobs stay pending. Activate one with 'hemosight models add PATH --activate'."
                )
                self._warned_no_model = True
            self.bundle, self.model = None, None
            return False
        self._warned_no_model = False
        key = (active.version, active.checksum)
        if self.model is not None and (self.model.version, self.model.checksum) == key:
            return True
        if self._failed_model == key:
            return self.bundle is not None
        try:
            path = await bundle_file(self.store, active, self.config.model_cache_dir)
            bundle = await asyncio.to_thread(self._load_and_warm_up, path)
        except Exception as exc:  # a bad bundle must not stop the worker: keep the previous model
            log.error(
                "Cannot load model %s (%s); keeping the previous model if any. %s", active.version, active.path, exc
            )
            self._failed_model = key
            return self.bundle is not None
        log.info("Loaded model %s from %s.", active.version, active.path)
        self.bundle, self.model, self._failed_model = bundle, active, None
        self.metrics.model_loaded(active.version)
        return True

    def _load_and_warm_up(self, path: Path) -> ModelBundle:
        """Build the encoder now, so the first upload after a (re)load is not slowed by it."""
        bundle = self._load_bundle(path)
        if self.config.encoder_backend:
            bundle.encoder_backend = self.config.encoder_backend
        bundle.embed([np.zeros((64, 64, 3), np.uint8)])
        bundle.quality_gate()  # a bundle without stored thresholds computes them from its reference cells now
        # The first correction's refit then finds the default label set's basis ready (refit.py, "Fast refits").
        self.refitter.prepare(bundle, bundle.default_label_set)
        return bundle

    # --- one batch ---------------------------------------------------------------------
    async def _heartbeat(self, job_ids: list[str]) -> None:
        interval = max(self.config.lease_seconds / 3, 0.05)
        while True:
            await asyncio.sleep(interval)
            try:
                held = await self.store.heartbeat(self.worker_id, job_ids, self.config.lease_seconds)
            except Exception:  # a missed beat is survivable; the next one may get through
                log.exception("Heartbeat failed.")
                continue
            if len(held) < len(job_ids):
                log.warning("Lost the lease on %d job(s); another worker has them now.", len(job_ids) - len(held))

    async def _process(self, jobs: list[Job]) -> None:
        bundle, model = self.bundle, self.model
        assert bundle is not None and model is not None
        decoded: list[tuple[Job, np.ndarray]] = []
        tick = time.perf_counter()
        for job in jobs:
            image = await self.store.get_image(job.image_id)
            data = await self.store.read_image_bytes(image.sha256) if image else None
            if data is None:
                await self._fail(job, "The image file is missing from storage; upload it again.", retry=False)
                self.metrics.job_failed("missing")
                continue
            try:
                decoded.append((job, await asyncio.to_thread(decode_image, data)))
            except ImageDecodeError as exc:
                await self._fail(job, str(exc), retry=False)
                self.metrics.job_failed("decode")
        if not decoded:
            return
        started = time.perf_counter()
        seconds = {"read_and_decode": started - tick}
        try:
            analyses = await asyncio.to_thread(bundle.analyse, [a for _, a in decoded], self.config.neighbours_k)
            seconds.update(bundle.last_timings)
            tick = time.perf_counter()
            apply_classifiers(analyses, await self.refitter.classifiers(model))
            seconds["lab_classifiers"] = time.perf_counter() - tick
        except Exception as exc:
            log.exception("Model %s failed on a batch of %d images.", model.version, len(decoded))
            for job, _ in decoded:
                await self._fail(job, f"Classification failed ({type(exc).__name__}: {exc}).", retry=True)
                self.metrics.job_failed("model")
            return
        tick = time.perf_counter()
        gate = bundle.quality_gate()
        for (job, pixels), analysis in zip(decoded, analyses, strict=True):
            nearest = analysis.neighbours[0].distance if analysis.neighbours else None
            result = to_result(job, analysis, model, bundle)
            result.unusable = gate.check(pixels, nearest)
            if await self.store.complete_job(self.worker_id, job.id, result):
                self.completed += 1
                self.metrics.job_done(job.created_at.timestamp())
        seconds["write_results"] = time.perf_counter() - tick
        self.metrics.batch_seconds.observe(time.perf_counter() - started)
        log.info(
            "Classified %d image(s) in %.2f s with model %s.",
            len(decoded),
            time.perf_counter() - started,
            model.version,
            extra={f"seconds_{stage}": round(value, 4) for stage, value in seconds.items()},
        )

    async def _fail(self, job: Job, error: str, retry: bool) -> None:
        status = await self.store.fail_job(self.worker_id, job.id, error, retry, self.config.max_attempts)
        log.warning("Job %s for image %s: %s (now %s).", job.id, job.image_id, error, status)


def apply_classifiers(analyses: list[CellAnalysis], classifiers: dict[str, LabelSetClassifier]) -> None:
    """Replace the bundle's predictions by the lab's refitted classifiers (and add the lab's own label sets)."""
    if not analyses or not classifiers:
        return
    embeddings = np.stack([a.embedding for a in analyses])
    for name, classifier in classifiers.items():
        for analysis, row in zip(analyses, classifier.predict_proba(embeddings), strict=True):
            probabilities = dict(zip(classifier.classes_, map(float, row), strict=True))
            analysis.probabilities[name] = probabilities
            analysis.labels[name] = max(probabilities, key=probabilities.__getitem__)


def to_result(job: Job, analysis: CellAnalysis, model: ModelVersion, bundle: ModelBundle) -> Result:
    x, y = analysis.landscape
    return Result(
        image_id=job.image_id,
        project_id=job.project_id,
        job_id=job.id,
        model_version=model.version,
        default_label_set=bundle.default_label_set,
        labels=dict(analysis.labels),
        probabilities=analysis.probabilities,
        neighbours=[NeighbourRecord(n.reference_id, n.label, n.distance) for n in analysis.neighbours],
        landscape=(x, y) if math.isfinite(x) and math.isfinite(y) else None,
        embedding=np.asarray(analysis.embedding, np.float16).tobytes(),
    )
