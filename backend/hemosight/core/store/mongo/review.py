"""A case's audit log (sign-off, reopen) and the explanations workers compute on request, in MongoDB."""

from __future__ import annotations

import time
from dataclasses import asdict

from pymongo import ASCENDING, ReturnDocument

from hemosight.core.store.base import CaseEvent, Explanation, utcnow
from hemosight.core.store.mongo.codec import from_doc, to_doc
from hemosight.core.store.mongo.connection import MongoConnection

GAVE_UP = "The explanation could not be computed (the worker stopped {n} times while on it); request it again."


def _explanation(doc: dict) -> Explanation:
    values = {k: v for k, v in doc.items() if k != "_id"}
    if values.get("png") is not None:
        values["png"] = bytes(values["png"])
    return Explanation(**values)


class ReviewMixin(MongoConnection):
    # --- case audit log ----------------------------------------------------------------
    async def add_case_event(self, event: CaseEvent) -> CaseEvent:
        await self.db.case_events.insert_one(to_doc(event))
        return event

    async def list_case_events(self, project_id: str) -> list[CaseEvent]:
        cursor = self.db.case_events.find({"project_id": project_id}).sort([("created_at", ASCENDING), ("_id", 1)])
        return [from_doc(CaseEvent, d) async for d in cursor]

    # --- explanations ------------------------------------------------------------------
    async def request_explanation(self, explanation: Explanation) -> Explanation:
        # A replace is seen by the workers' change stream, which wakes them.
        doc = {"_id": explanation.image_id, **asdict(explanation)}
        await self.db.explanations.replace_one({"_id": explanation.image_id}, doc, upsert=True)
        return explanation

    async def get_explanation(self, image_id: str) -> Explanation | None:
        doc = await self.db.explanations.find_one({"_id": image_id})
        return _explanation(doc) if doc else None

    async def claim_explanation(self, worker_id: str, lease_seconds: float, max_attempts: int) -> Explanation | None:
        now = time.time()
        await self.db.explanations.update_many(
            {"status": "running", "lease_expires_at": {"$lt": now}, "attempts": {"$gte": max_attempts}},
            {"$set": {"status": "failed", "error": GAVE_UP.format(n=max_attempts), "updated_at": utcnow()}},
        )
        doc = await self.db.explanations.find_one_and_update(
            {"$or": [{"status": "pending"}, {"status": "running", "lease_expires_at": {"$lt": now}}]},
            {
                "$set": {
                    "status": "running",
                    "worker_id": worker_id,
                    "lease_expires_at": now + lease_seconds,
                    "updated_at": utcnow(),
                },
                "$inc": {"attempts": 1},
            },
            sort=[("requested_at", ASCENDING)],
            return_document=ReturnDocument.AFTER,
        )
        return _explanation(doc) if doc else None

    async def finish_explanation(
        self, worker_id: str, image_id: str, png: bytes | None, method: str | None, error: str | None
    ) -> bool:
        updated = await self.db.explanations.update_one(
            {"_id": image_id, "worker_id": worker_id, "status": "running"},
            {
                "$set": {
                    "status": "done" if error is None else "failed",
                    "png": png,
                    "method": method,
                    "error": error,
                    "lease_expires_at": None,
                    "updated_at": utcnow(),
                }
            },
        )
        return updated.modified_count == 1
