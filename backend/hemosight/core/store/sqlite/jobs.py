"""Jobs and their results in the embedded store: claiming with leases, heartbeats, completion, failure.

Every state change of a job is one ``BEGIN IMMEDIATE`` transaction, which is what makes claiming
atomic across processes; what the new state is comes from backend/hemosight/core/store/jobs_policy.py.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time

from hemosight.core.store.base import Job, Result, utcnow
from hemosight.core.store.jobs_policy import after_failure, after_lease_expired
from hemosight.core.store.sqlite.codec import JOBS, RESULTS
from hemosight.core.store.sqlite.connection import SQLiteConnection

WAKE_CHECK_SECONDS = 0.05


class JobsMixin(SQLiteConnection):
    # --- jobs --------------------------------------------------------------------------
    async def get_job(self, job_id: str) -> Job | None:
        row = await self._run(lambda: self.conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone())
        return JOBS.record(row) if row else None

    async def claim_jobs(self, worker_id: str, limit: int, lease_seconds: float, max_attempts: int) -> list[Job]:
        # Read the wake-up stamp before looking for work, so a job queued after this point is never missed.
        self._seen_wakeup = self._wakeup_stamp()

        def claim(conn: sqlite3.Connection) -> list[Job]:
            now, stamp = time.time(), utcnow().isoformat()
            expired = conn.execute(
                "SELECT id, attempts, error FROM jobs WHERE status = 'running' AND lease_expires_at < ?", (now,)
            ).fetchall()
            for row in expired:
                status, error = after_lease_expired(row["attempts"], row["error"], max_attempts)
                conn.execute(
                    "UPDATE jobs SET status = ?, error = ?, worker_id = NULL, lease_expires_at = NULL,"
                    " updated_at = ? WHERE id = ?",
                    (status, error, stamp, row["id"]),
                )
            ids = [
                r["id"]
                for r in conn.execute(
                    "SELECT id FROM jobs WHERE status = 'pending' ORDER BY created_at, rowid LIMIT ?", (limit,)
                )
            ]
            if not ids:
                return []
            marks = ",".join("?" * len(ids))
            conn.execute(
                "UPDATE jobs SET status = 'running', attempts = attempts + 1, worker_id = ?, lease_expires_at = ?,"
                f" updated_at = ? WHERE id IN ({marks})",
                (worker_id, now + lease_seconds, stamp, *ids),
            )
            rows = conn.execute(f"SELECT * FROM jobs WHERE id IN ({marks}) ORDER BY created_at, rowid", ids)
            return [JOBS.record(r) for r in rows]

        return await self._run(self._transaction, claim)

    async def heartbeat(self, worker_id: str, job_ids: list[str], lease_seconds: float) -> list[str]:
        if not job_ids:
            return []

        def beat(conn: sqlite3.Connection) -> list[str]:
            marks = ",".join("?" * len(job_ids))
            where = f"worker_id = ? AND status = 'running' AND id IN ({marks})"
            conn.execute(
                f"UPDATE jobs SET lease_expires_at = ? WHERE {where}",
                (time.time() + lease_seconds, worker_id, *job_ids),
            )
            return [r["id"] for r in conn.execute(f"SELECT id FROM jobs WHERE {where}", (worker_id, *job_ids))]

        return await self._run(self._transaction, beat)

    async def complete_job(self, worker_id: str, job_id: str, result: Result) -> bool:
        def complete(conn: sqlite3.Connection) -> bool:
            updated = conn.execute(
                "UPDATE jobs SET status = 'done', error = NULL, worker_id = NULL, lease_expires_at = NULL,"
                " updated_at = ? WHERE id = ? AND status = 'running' AND worker_id = ?",
                (utcnow().isoformat(), job_id, worker_id),
            ).rowcount
            if updated != 1:
                return False
            RESULTS.insert(conn, result, "INSERT OR REPLACE")
            return True

        return await self._run(self._transaction, complete)

    async def fail_job(self, worker_id: str, job_id: str, error: str, retry: bool, max_attempts: int) -> str | None:
        def fail(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                "SELECT attempts FROM jobs WHERE id = ? AND status = 'running' AND worker_id = ?", (job_id, worker_id)
            ).fetchone()
            if row is None:
                return None
            status = after_failure(retry, row["attempts"], max_attempts)
            conn.execute(
                "UPDATE jobs SET status = ?, error = ?, worker_id = NULL, lease_expires_at = NULL, updated_at = ?"
                " WHERE id = ?",
                (status, error, utcnow().isoformat(), job_id),
            )
            return status

        status = await self._run(self._transaction, fail)
        if status == "pending":
            self._wake()
        return status

    async def wait_for_jobs(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if self._wakeup_stamp() != self._seen_wakeup:
                    return
                await asyncio.sleep(min(WAKE_CHECK_SECONDS, max(0.0, deadline - time.monotonic())))
        finally:
            # Each wake-up is reported once, also to a worker that did not claim in between (no model yet).
            self._seen_wakeup = self._wakeup_stamp()

    async def job_counts(self) -> dict[str, int]:
        rows = await self._run(
            lambda: self.conn.execute("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status").fetchall()
        )
        return {r["status"]: int(r["n"]) for r in rows}

    async def requeue_project(self, project_id: str) -> int:
        def requeue(conn: sqlite3.Connection) -> int:
            return conn.execute(
                "UPDATE jobs SET status = 'pending', attempts = 0, error = NULL, worker_id = NULL,"
                " lease_expires_at = NULL, updated_at = ? WHERE project_id = ? AND status IN ('done', 'failed')",
                (utcnow().isoformat(), project_id),
            ).rowcount

        count = await self._run(self._transaction, requeue)
        if count:
            self._wake()
        return count

    # --- results -----------------------------------------------------------------------
    async def get_result(self, image_id: str) -> Result | None:
        row = await self._run(
            lambda: self.conn.execute("SELECT * FROM results WHERE image_id = ?", (image_id,)).fetchone()
        )
        return RESULTS.record(row) if row else None
