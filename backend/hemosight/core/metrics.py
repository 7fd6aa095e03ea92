"""Prometheus metrics shared by the backend and the worker (names prefixed ``hemosight_``).

Workers count what they do (images, failures, latency from upload to result, batch time,
the model they have loaded); the backend reports what the store says at scrape time
(queue depth per job status, the active model version). Each process has its own registry,
so a worker's port and the backend's /metrics never mix their series.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: Upload → result seconds: a few tens of ms on a GPU, seconds on a busy CPU, minutes when the queue is long.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)


class WorkerMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.images = Counter(
            "hemosight_images_classified", "Images classified (rate() gives images/s).", registry=self.registry
        )
        self.failures = Counter(
            "hemosight_job_failures", "Jobs that failed an attempt, by reason.", ["reason"], registry=self.registry
        )
        self.latency = Histogram(
            "hemosight_job_latency_seconds",
            "Seconds from upload to stored result.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batch_seconds = Histogram(
            "hemosight_batch_seconds", "Seconds the model took for one micro-batch.", registry=self.registry
        )
        self.model = Gauge(
            "hemosight_worker_model_info",
            "1 for the model version this worker has loaded.",
            ["version"],
            registry=self.registry,
        )
        self.last_loop = Gauge(
            "hemosight_worker_last_loop_timestamp_seconds", "When the worker loop last ran.", registry=self.registry
        )

    def job_done(self, created_at_epoch: float) -> None:
        self.images.inc()
        self.latency.observe(max(0.0, time.time() - created_at_epoch))

    def job_failed(self, reason: str) -> None:
        self.failures.labels(reason=reason).inc()

    def model_loaded(self, version: str) -> None:
        self.model.clear()
        self.model.labels(version=version).set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class StoreCollector(Collector):
    """Queue depth and active model, read from the store when Prometheus scrapes (values set by `refresh`)."""

    def __init__(self) -> None:
        self.job_counts: dict[str, int] = {}
        self.active_version: str | None = None
        self.registered = 0

    async def refresh(
        self, counts: Callable[[], Awaitable[dict[str, int]]], active: Callable[[], Awaitable[Any]], versions: int
    ) -> None:
        self.job_counts = await counts()
        model = await active()
        self.active_version = model.version if model else None
        self.registered = versions

    def collect(self) -> Iterable[Any]:
        depth = GaugeMetricFamily("hemosight_queue_depth", "Jobs per status in the store.", labels=["status"])
        for status in ("pending", "running", "done", "failed"):
            depth.add_metric([status], self.job_counts.get(status, 0))
        yield depth
        info = InfoMetricFamily("hemosight_active_model", "The model version the workers are told to use.")
        info.add_metric([], {"version": self.active_version or ""})
        yield info
        yield GaugeMetricFamily(
            "hemosight_model_versions_registered", "Registered model versions.", value=self.registered
        )
