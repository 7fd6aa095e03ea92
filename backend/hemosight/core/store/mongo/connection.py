"""The MongoDB store's plumbing: the client, schema checks and migrations, indexes and transactions.

Every aggregate of the store (accounts, projects, jobs, models, labels) is a mixin on top of this class."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from gridfs.asynchronous import AsyncGridFSBucket
from pymongo import ASCENDING, AsyncMongoClient
from pymongo.errors import PyMongoError

from hemosight.core.store.base import (
    SCHEMA_VERSION,
    StoreError,
)

log = logging.getLogger("hemosight.store.mongo")
BLOB_BUCKET = "image_bytes"
#: GridFS bucket of model bundles kept by the store (file id = SHA-256; registered path ``gridfs:<sha256>``).
MODEL_BUCKET = "model_bundles"


async def _add_label_collections(db: Any) -> None:
    """1 → 2: label sets, labels, label events and classifiers are new collections; indexes come with `open`."""


async def _add_usable_confirmations(db: Any) -> None:
    """2 → 3: results gain `unusable` (absent reads as None); confirmations get their own collection."""
    await db.usable_confirmations.create_index("project_id")


async def _add_case_review(db: Any) -> None:
    """3 → 4: projects gain case details and a status, label events a reason (absent fields read as the record's
    defaults: "in_review", no details); the case audit log and explanations are new collections."""
    await db.case_events.create_index([("project_id", ASCENDING), ("created_at", ASCENDING)])
    await db.explanations.create_index([("status", ASCENDING), ("requested_at", ASCENDING)])


#: Migrations from version n to n+1 (async functions of the database).
async def _add_model_jobs(db: Any) -> None:
    """4 → 5: jobs that make a model version (adapting to a lab) are a new collection; indexes come with use."""


MIGRATIONS: dict[int, Any] = {
    1: _add_label_collections,
    2: _add_usable_confirmations,
    3: _add_case_review,
    4: _add_model_jobs,
}


class MongoConnection:
    def __init__(self, uri: str, database: str = "hemosight") -> None:
        self.client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            uri, tz_aware=True, serverSelectionTimeoutMS=10_000
        )
        self.db = self.client[database]
        self.blobs = AsyncGridFSBucket(self.db, bucket_name=BLOB_BUCKET)
        self._wakeup = asyncio.Event()
        self._watcher: asyncio.Task[None] | None = None

    # --- lifecycle ---------------------------------------------------------------------
    async def open(self) -> None:
        try:
            hello = await self.client.admin.command("hello")
        except PyMongoError as exc:
            raise StoreError(f"Cannot reach MongoDB ({exc}); check --mongo-uri and that the server runs.") from None
        if "setName" not in hello:
            raise StoreError(
                "MongoDB is not running as a replica set; HemoSight needs one for change streams and transactions. "
                "Start mongod with --replSet rs0 and run rs.initiate() once (a single member is enough)."
            )
        meta = await self.db.meta.find_one({"_id": "schema_version"})
        version = meta["value"] if meta else None
        if version is not None and version > SCHEMA_VERSION:
            raise StoreError(
                f"The database has schema version {version}, newer than this HemoSight ({SCHEMA_VERSION}); "
                "upgrade HemoSight or use another database."
            )
        await self.db.users.create_index("username", unique=True)
        await self.db.projects.create_index("member_ids")
        await self.db.images.create_index([("project_id", ASCENDING), ("sha256", ASCENDING)], unique=True)
        await self.db.images.create_index("sha256")
        await self.db.jobs.create_index("image_id", unique=True)
        await self.db.jobs.create_index([("status", ASCENDING), ("created_at", ASCENDING)])
        await self.db.jobs.create_index("project_id")
        await self.db.results.create_index("project_id")
        await self.db.results.create_index("model_version")
        await self.db.labels.create_index([("label_set", ASCENDING), ("project_id", ASCENDING)])
        await self.db.label_events.create_index([("image_id", ASCENDING), ("label_set", ASCENDING)])
        await self.db.classifiers.create_index([("label_set", ASCENDING), ("version", ASCENDING)], unique=True)
        await self.db.usable_confirmations.create_index("project_id")
        await _add_case_review(self.db)
        # one pending or running model job per kind: `active_kind` exists only while it is (mongo/model_jobs.py)
        await self.db.model_jobs.create_index(
            "active_kind", unique=True, partialFilterExpression={"active_kind": {"$exists": True}}
        )
        await self.db.model_jobs.create_index([("status", ASCENDING), ("created_at", ASCENDING)])
        while version is not None and version < SCHEMA_VERSION:
            await MIGRATIONS[version](self.db)
            version += 1
        await self.db.meta.update_one({"_id": "schema_version"}, {"$set": {"value": SCHEMA_VERSION}}, upsert=True)

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        await self.client.close()

    async def drop_database(self) -> None:
        await self.client.drop_database(self.db.name)

    async def ping(self) -> bool:
        try:
            await self.client.admin.command("ping")
        except PyMongoError:
            return False
        return True

    async def schema_version(self) -> int:
        meta = await self.db.meta.find_one({"_id": "schema_version"})
        return int(meta["value"]) if meta else 0

    async def _in_transaction(self, callback: Any) -> Any:
        async with self.client.start_session() as session:
            return await session.with_transaction(callback)
