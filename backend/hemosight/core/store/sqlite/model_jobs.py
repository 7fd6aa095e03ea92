"""Model jobs (adapting the model to a lab) in the embedded store: one transaction per state change, as for jobs."""

from __future__ import annotations

import sqlite3
import time

from hemosight.core.store.base import ConflictError, ModelJob, utcnow
from hemosight.core.store.jobs_policy import after_failure, after_lease_expired, model_job_lease_lost_message
from hemosight.core.store.sqlite.codec import MODEL_JOBS
from hemosight.core.store.sqlite.connection import SQLiteConnection


class ModelJobsMixin(SQLiteConnection):
    async def create_model_job(self, job: ModelJob) -> ModelJob:
        def create(conn: sqlite3.Connection) -> ModelJob:
            busy = conn.execute(
                "SELECT id, status FROM model_jobs WHERE kind = ? AND status IN ('pending', 'running')"
                " ORDER BY created_at LIMIT 1",
                (job.kind,),
            ).fetchone()
            if busy is not None:
                raise ConflictError(
                    f"A model job of kind {job.kind!r} is already {busy['status']} (job {busy['id']}); "
                    "wait for it to finish."
                )
            MODEL_JOBS.insert(conn, job)
            return job

        created = await self._run(self._transaction, create)
        self._wake()
        return created

    async def get_model_job(self, job_id: str) -> ModelJob | None:
        row = await self._run(lambda: self.conn.execute("SELECT * FROM model_jobs WHERE id = ?", (job_id,)).fetchone())
        return MODEL_JOBS.record(row) if row else None

    async def claim_model_job(self, worker_id: str, lease_seconds: float, max_attempts: int) -> ModelJob | None:
        def claim(conn: sqlite3.Connection) -> ModelJob | None:
            now, stamp = time.time(), utcnow().isoformat()
            for row in conn.execute(
                "SELECT id, attempts, error FROM model_jobs WHERE status = 'running' AND lease_expires_at < ?", (now,)
            ).fetchall():
                error = row["error"] or model_job_lease_lost_message(row["attempts"])
                status, error = after_lease_expired(row["attempts"], error, max_attempts)
                conn.execute(
                    "UPDATE model_jobs SET status = ?, error = ?, worker_id = NULL, lease_expires_at = NULL,"
                    " updated_at = ? WHERE id = ?",
                    (status, error if status == "failed" else None, stamp, row["id"]),
                )
            row = conn.execute(
                "SELECT id FROM model_jobs WHERE status = 'pending' ORDER BY created_at, rowid LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE model_jobs SET status = 'running', attempts = attempts + 1, worker_id = ?,"
                " lease_expires_at = ?, updated_at = ? WHERE id = ?",
                (worker_id, now + lease_seconds, stamp, row["id"]),
            )
            return MODEL_JOBS.record(conn.execute("SELECT * FROM model_jobs WHERE id = ?", (row["id"],)).fetchone())

        return await self._run(self._transaction, claim)

    async def update_model_job(
        self, worker_id: str, job_id: str, phase: str, fraction: float, lease_seconds: float
    ) -> bool:
        def update(conn: sqlite3.Connection) -> bool:
            return (
                conn.execute(
                    "UPDATE model_jobs SET phase = ?, fraction = ?, lease_expires_at = ?, updated_at = ?"
                    " WHERE id = ? AND status = 'running' AND worker_id = ?",
                    (phase, fraction, time.time() + lease_seconds, utcnow().isoformat(), job_id, worker_id),
                ).rowcount
                == 1
            )

        return await self._run(self._transaction, update)

    async def finish_model_job(
        self, worker_id: str, job_id: str, error: str | None, model_version: str | None, retry: bool, max_attempts: int
    ) -> str | None:
        def finish(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                "SELECT attempts FROM model_jobs WHERE id = ? AND status = 'running' AND worker_id = ?",
                (job_id, worker_id),
            ).fetchone()
            if row is None:
                return None
            status = "done" if error is None else after_failure(retry, row["attempts"], max_attempts)
            conn.execute(
                "UPDATE model_jobs SET status = ?, error = ?, model_version = ?, phase = ?, fraction = ?,"
                " worker_id = NULL, lease_expires_at = NULL, updated_at = ? WHERE id = ?",
                (
                    status,
                    error,
                    model_version,
                    "done" if status == "done" else ("queued" if status == "pending" else "failed"),
                    1.0 if status == "done" else 0.0,
                    utcnow().isoformat(),
                    job_id,
                ),
            )
            return status

        status = await self._run(self._transaction, finish)
        if status == "pending":
            self._wake()
        return status
