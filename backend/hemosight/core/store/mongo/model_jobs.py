"""Model jobs (adapting the model to a lab) in MongoDB.

"One job of a kind at a time" is a unique partial index on `active_kind`, a field present only while
the job is pending or running (indexed in connection.py), so two admins starting a job at once cannot both succeed.
"""

from __future__ import annotations

import time
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from hemosight.core.store.base import ConflictError, ModelJob, utcnow
from hemosight.core.store.jobs_policy import after_failure, after_lease_expired, model_job_lease_lost_message
from hemosight.core.store.mongo.codec import from_doc, to_doc
from hemosight.core.store.mongo.connection import MongoConnection


def _job(doc: dict[str, Any]) -> ModelJob:
    return from_doc(ModelJob, {k: v for k, v in doc.items() if k != "active_kind"})


class ModelJobsMixin(MongoConnection):
    async def create_model_job(self, job: ModelJob) -> ModelJob:
        try:
            await self.db.model_jobs.insert_one({**to_doc(job), "active_kind": job.kind})
        except DuplicateKeyError:
            busy = await self.db.model_jobs.find_one({"active_kind": job.kind})
            where = f" (job {busy['_id']})" if busy else ""
            raise ConflictError(
                f"A model job of kind {job.kind!r} is already pending or running{where}; wait for it to finish."
            ) from None
        return job

    async def get_model_job(self, job_id: str) -> ModelJob | None:
        doc = await self.db.model_jobs.find_one({"_id": job_id})
        return _job(doc) if doc else None

    async def claim_model_job(self, worker_id: str, lease_seconds: float, max_attempts: int) -> ModelJob | None:
        now = time.time()
        async for doc in self.db.model_jobs.find({"status": "running", "lease_expires_at": {"$lt": now}}):
            error = doc.get("error") or model_job_lease_lost_message(doc["attempts"])
            status, error = after_lease_expired(doc["attempts"], error, max_attempts)
            update: dict[str, Any] = {
                "$set": {
                    "status": status,
                    "error": error if status == "failed" else None,
                    "worker_id": None,
                    "lease_expires_at": None,
                    "updated_at": utcnow(),
                }
            }
            if status == "failed":
                update["$unset"] = {"active_kind": ""}
            await self.db.model_jobs.update_one({"_id": doc["_id"], "status": "running"}, update)
        claimed = await self.db.model_jobs.find_one_and_update(
            {"status": "pending"},
            {
                "$set": {
                    "status": "running",
                    "worker_id": worker_id,
                    "lease_expires_at": now + lease_seconds,
                    "updated_at": utcnow(),
                },
                "$inc": {"attempts": 1},
            },
            sort=[("created_at", ASCENDING), ("_id", ASCENDING)],
            return_document=ReturnDocument.AFTER,
        )
        return _job(claimed) if claimed else None

    async def update_model_job(
        self, worker_id: str, job_id: str, phase: str, fraction: float, lease_seconds: float
    ) -> bool:
        updated = await self.db.model_jobs.update_one(
            {"_id": job_id, "status": "running", "worker_id": worker_id},
            {
                "$set": {
                    "phase": phase,
                    "fraction": fraction,
                    "lease_expires_at": time.time() + lease_seconds,
                    "updated_at": utcnow(),
                }
            },
        )
        return updated.matched_count == 1

    async def finish_model_job(
        self, worker_id: str, job_id: str, error: str | None, model_version: str | None, retry: bool, max_attempts: int
    ) -> str | None:
        query = {"_id": job_id, "status": "running", "worker_id": worker_id}
        doc = await self.db.model_jobs.find_one(query)
        if doc is None:
            return None
        status = "done" if error is None else after_failure(retry, doc["attempts"], max_attempts)
        values = {
            "status": status,
            "error": error,
            "model_version": model_version,
            "phase": "done" if status == "done" else ("queued" if status == "pending" else "failed"),
            "fraction": 1.0 if status == "done" else 0.0,
            "worker_id": None,
            "lease_expires_at": None,
            "updated_at": utcnow(),
        }
        update: dict[str, Any] = {"$set": values}
        if status != "pending":
            update["$unset"] = {"active_kind": ""}
        updated = await self.db.model_jobs.update_one(query, update)
        return status if updated.modified_count == 1 else None
