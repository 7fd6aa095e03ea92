"""A case's audit log (sign-off, reopen) and the explanations workers compute on request, in the embedded store."""

from __future__ import annotations

import sqlite3
import time

from hemosight.core.store.base import CaseEvent, Explanation, utcnow
from hemosight.core.store.sqlite.codec import CASE_EVENTS, EXPLANATIONS
from hemosight.core.store.sqlite.connection import SQLiteConnection

#: What a worker writes when an explanation was claimed too often without finishing (the worker died each time).
GAVE_UP = "The explanation could not be computed (the worker stopped {n} times while on it); request it again."


class ReviewMixin(SQLiteConnection):
    # --- case audit log ----------------------------------------------------------------
    async def add_case_event(self, event: CaseEvent) -> CaseEvent:
        await self._run(self._transaction, lambda conn: CASE_EVENTS.insert(conn, event))
        return event

    async def list_case_events(self, project_id: str) -> list[CaseEvent]:
        rows = await self._run(
            lambda: self.conn.execute(
                "SELECT * FROM case_events WHERE project_id = ? ORDER BY created_at, rowid", (project_id,)
            ).fetchall()
        )
        return [CASE_EVENTS.record(r) for r in rows]

    # --- explanations ------------------------------------------------------------------
    async def request_explanation(self, explanation: Explanation) -> Explanation:
        await self._run(self._transaction, lambda conn: EXPLANATIONS.insert(conn, explanation, "INSERT OR REPLACE"))
        self._wake()
        return explanation

    async def get_explanation(self, image_id: str) -> Explanation | None:
        row = await self._run(
            lambda: self.conn.execute("SELECT * FROM explanations WHERE image_id = ?", (image_id,)).fetchone()
        )
        return EXPLANATIONS.record(row) if row else None

    async def claim_explanation(self, worker_id: str, lease_seconds: float, max_attempts: int) -> Explanation | None:
        def claim(conn: sqlite3.Connection) -> Explanation | None:
            now = time.time()
            conn.execute(
                "UPDATE explanations SET status = 'failed', error = ?, updated_at = ? WHERE status = 'running'"
                " AND lease_expires_at < ? AND attempts >= ?",
                (GAVE_UP.format(n=max_attempts), utcnow().isoformat(), now, max_attempts),
            )
            row = conn.execute(
                "SELECT image_id FROM explanations WHERE status = 'pending'"
                " OR (status = 'running' AND lease_expires_at < ?) ORDER BY requested_at, rowid LIMIT 1",
                (now,),
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE explanations SET status = 'running', worker_id = ?, lease_expires_at = ?,"
                " attempts = attempts + 1, updated_at = ? WHERE image_id = ?",
                (worker_id, now + lease_seconds, utcnow().isoformat(), row["image_id"]),
            )
            claimed = conn.execute("SELECT * FROM explanations WHERE image_id = ?", (row["image_id"],)).fetchone()
            return EXPLANATIONS.record(claimed)

        return await self._run(self._transaction, claim)

    async def finish_explanation(
        self, worker_id: str, image_id: str, png: bytes | None, method: str | None, error: str | None
    ) -> bool:
        status = "done" if error is None else "failed"

        def finish(conn: sqlite3.Connection) -> bool:
            return (
                conn.execute(
                    "UPDATE explanations SET status = ?, png = ?, method = ?, error = ?, lease_expires_at = NULL,"
                    " updated_at = ? WHERE image_id = ? AND worker_id = ? AND status = 'running'",
                    (status, png, method, error, utcnow().isoformat(), image_id, worker_id),
                ).rowcount
                == 1
            )

        return await self._run(self._transaction, finish)
