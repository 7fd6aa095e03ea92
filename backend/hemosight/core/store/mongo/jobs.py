"""Jobs and results in MongoDB: claiming with `find_one_and_update`, and wake-ups through a change stream."""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import PyMongoError

from hemosight.core.store.base import (
    Job,
    Result,
    utcnow,
)
from hemosight.core.store.jobs_policy import after_failure, after_lease_expired
from hemosight.core.store.mongo.codec import (
    from_doc,
)
from hemosight.core.store.mongo.connection import MongoConnection, log


class JobsMixin(MongoConnection):
    # --- jobs --------------------------------------------------------------------------
    async def get_job(self, job_id: str) -> Job | None:
        doc = await self.db.jobs.find_one({"_id": job_id})
        return from_doc(Job, doc) if doc else None

    async def claim_jobs(self, worker_id: str, limit: int, lease_seconds: float, max_attempts: int) -> list[Job]:
        if self._watcher is None:  # only workers claim, so only workers watch
            self._watcher = asyncio.create_task(self._watch())
        self._wakeup.clear()  # anything queued from now on wakes `wait_for_jobs`
        now = time.time()
        async for doc in self.db.jobs.find({"status": "running", "lease_expires_at": {"$lt": now}}):
            status, error = after_lease_expired(doc["attempts"], doc.get("error"), max_attempts)
            await self.db.jobs.update_one(
                {"_id": doc["_id"], "status": "running", "worker_id": doc["worker_id"]},
                {
                    "$set": {
                        "status": status,
                        "error": error,
                        "worker_id": None,
                        "lease_expires_at": None,
                        "updated_at": utcnow(),
                    }
                },
            )
        claimed = []
        for _ in range(limit):
            claimed_doc = await self.db.jobs.find_one_and_update(
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
            if claimed_doc is None:
                break
            claimed.append(from_doc(Job, claimed_doc))
        return claimed

    async def heartbeat(self, worker_id: str, job_ids: list[str], lease_seconds: float) -> list[str]:
        query = {"_id": {"$in": job_ids}, "worker_id": worker_id, "status": "running"}
        await self.db.jobs.update_many(query, {"$set": {"lease_expires_at": time.time() + lease_seconds}})
        return [d["_id"] async for d in self.db.jobs.find(query, {"_id": 1})]

    async def complete_job(self, worker_id: str, job_id: str, result: Result) -> bool:
        async def complete(session: AsyncClientSession) -> bool:
            updated = await self.db.jobs.update_one(
                {"_id": job_id, "status": "running", "worker_id": worker_id},
                {
                    "$set": {
                        "status": "done",
                        "error": None,
                        "worker_id": None,
                        "lease_expires_at": None,
                        "updated_at": utcnow(),
                    }
                },
                session=session,
            )
            if updated.modified_count != 1:
                return False
            doc = asdict(result)
            doc["_id"] = doc.pop("image_id")
            await self.db.results.replace_one({"_id": doc["_id"]}, doc, upsert=True, session=session)
            return True

        return bool(await self._in_transaction(complete))

    async def fail_job(self, worker_id: str, job_id: str, error: str, retry: bool, max_attempts: int) -> str | None:
        query = {"_id": job_id, "status": "running", "worker_id": worker_id}
        doc = await self.db.jobs.find_one(query)
        if doc is None:
            return None
        status = after_failure(retry, doc["attempts"], max_attempts)
        update = {"status": status, "error": error, "worker_id": None, "lease_expires_at": None, "updated_at": utcnow()}
        updated = await self.db.jobs.update_one(query, {"$set": update})
        return status if updated.modified_count == 1 else None

    async def wait_for_jobs(self, timeout: float) -> None:
        if self._watcher is None:
            self._watcher = asyncio.create_task(self._watch())
        try:
            await asyncio.wait_for(self._wakeup.wait(), timeout)
        except TimeoutError:
            pass
        finally:
            # Each wake-up is reported once, also to a worker that did not claim in between (no model yet).
            self._wakeup.clear()

    async def _watch(self) -> None:
        """Set the wake-up event on every new pending job or model activation (change stream on the database)."""
        pipeline = [
            {
                "$match": {
                    "$or": [
                        {"ns.coll": "jobs", "operationType": "insert"},
                        {"ns.coll": "jobs", "updateDescription.updatedFields.status": "pending"},
                        {"ns.coll": "model_versions"},
                        {"ns.coll": "explanations", "operationType": {"$in": ["insert", "replace"]}},
                        {"ns.coll": "label_sets", "updateDescription.updatedFields.labels_version": {"$exists": True}},
                    ]
                }
            }
        ]
        while True:
            try:
                async with await self.db.watch(pipeline) as stream:
                    async for _ in stream:
                        self._wakeup.set()
            except PyMongoError as exc:
                log.warning("Change stream interrupted (%s); reconnecting.", exc)
                self._wakeup.set()  # something may have been missed: let the worker look
                await asyncio.sleep(1.0)

    async def job_counts(self) -> dict[str, int]:
        pipeline = [{"$group": {"_id": "$status", "n": {"$sum": 1}}}]
        return {d["_id"]: int(d["n"]) async for d in await self.db.jobs.aggregate(pipeline)}

    async def requeue_project(self, project_id: str) -> int:
        # The change stream sees the status change to pending and wakes the workers.
        updated = await self.db.jobs.update_many(
            {"project_id": project_id, "status": {"$in": ["done", "failed"]}},
            {
                "$set": {
                    "status": "pending",
                    "attempts": 0,
                    "error": None,
                    "worker_id": None,
                    "lease_expires_at": None,
                    "updated_at": utcnow(),
                }
            },
        )
        return int(updated.modified_count)
