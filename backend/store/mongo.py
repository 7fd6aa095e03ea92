"""The MongoDB store, for sites that run several backends and workers: PyMongo's async API.

Kept deliberately plain. A replica set is required: it gives transactions (an image and
its job are inserted together; a result is written together with its job's completion)
and change streams, through which waiting workers hear about new jobs at once. Image
bytes live in GridFS with the SHA-256 as file id, so each distinct cell is stored once.
Claiming is one `find_one_and_update` per job, which MongoDB makes atomic.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import asdict
from typing import Any

from gridfs.asynchronous import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo import ASCENDING, AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError, PyMongoError

from backend.store.base import (
    SCHEMA_VERSION,
    CellLabel,
    ClassifierVersion,
    ConflictError,
    Image,
    ImageEntry,
    Job,
    LabelEvent,
    LabelSet,
    ModelVersion,
    NeighbourRecord,
    Project,
    Result,
    ResultVector,
    StoreError,
    User,
    check_undoable,
    undo_of,
    utcnow,
)
from backend.store.blobs import sha256_of
from backend.store.sqlite import lease_lost_message

log = logging.getLogger("hemosight.store.mongo")
BLOB_BUCKET = "image_bytes"


async def _add_label_collections(db: Any) -> None:
    """1 → 2: label sets, labels, label events and classifiers are new collections; indexes come with `open`."""


#: Migrations from version n to n+1 (async functions of the database).
async def _add_usable_confirmations(db: Any) -> None:
    """2 → 3: results gain `unusable` (absent reads as None); confirmations get their own collection."""
    await db.usable_confirmations.create_index("project_id")


MIGRATIONS: dict[int, Any] = {1: _add_label_collections, 2: _add_usable_confirmations}


def _doc(record: Any) -> dict[str, Any]:
    values = asdict(record)
    values["_id"] = values.pop("id")
    return values


def _record(cls: type, doc: dict[str, Any]) -> Any:
    values = dict(doc)
    values["id"] = values.pop("_id")
    return cls(**values)


class MongoStore:
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

    # --- users -------------------------------------------------------------------------
    async def create_user(self, user: User) -> User:
        try:
            await self.db.users.insert_one(_doc(user))
        except DuplicateKeyError:
            raise ConflictError(f"The username {user.username!r} is already taken; choose another.") from None
        return user

    async def get_user(self, user_id: str) -> User | None:
        doc = await self.db.users.find_one({"_id": user_id})
        return _record(User, doc) if doc else None

    async def get_user_by_username(self, username: str) -> User | None:
        doc = await self.db.users.find_one({"username": username})
        return _record(User, doc) if doc else None

    async def list_users(self) -> list[User]:
        return [_record(User, d) async for d in self.db.users.find().sort("username")]

    async def update_user(self, user: User) -> None:
        try:
            await self.db.users.replace_one({"_id": user.id}, _doc(user))
        except DuplicateKeyError:
            raise ConflictError(f"The username {user.username!r} is already taken; choose another.") from None

    async def delete_user(self, user_id: str) -> bool:
        await self.db.projects.update_many({"member_ids": user_id}, {"$pull": {"member_ids": user_id}})
        return (await self.db.users.delete_one({"_id": user_id})).deleted_count == 1

    async def count_users(self) -> int:
        return await self.db.users.count_documents({})

    # --- projects ----------------------------------------------------------------------
    async def create_project(self, project: Project) -> Project:
        project.member_ids = sorted({project.owner_id, *project.member_ids})
        await self.db.projects.insert_one(_doc(project))
        return project

    async def get_project(self, project_id: str) -> Project | None:
        doc = await self.db.projects.find_one({"_id": project_id})
        return _record(Project, doc) if doc else None

    async def list_projects(self, member_id: str | None = None) -> list[Project]:
        query = {} if member_id is None else {"member_ids": member_id}
        return [
            _record(Project, d)
            async for d in self.db.projects.find(query).sort([("created_at", ASCENDING), ("_id", ASCENDING)])
        ]

    async def update_project(self, project: Project) -> None:
        project.member_ids = sorted({project.owner_id, *project.member_ids})
        await self.db.projects.replace_one({"_id": project.id}, _doc(project))

    async def delete_project(self, project_id: str) -> bool:
        hashes = {d["sha256"] async for d in self.db.images.find({"project_id": project_id}, {"sha256": 1})}
        deleted = (await self.db.projects.delete_one({"_id": project_id})).deleted_count == 1
        for collection in (
            self.db.results,
            self.db.jobs,
            self.db.images,
            self.db.labels,
            self.db.usable_confirmations,
        ):
            await collection.delete_many({"project_id": project_id})
        for digest in hashes:
            if await self.db.images.find_one({"sha256": digest}, {"_id": 1}) is None:
                with contextlib.suppress(NoFile):
                    await self.blobs.delete(digest)
        return deleted

    # --- images ------------------------------------------------------------------------
    async def _existing(self, image: Image) -> tuple[Image, Job, bool] | None:
        doc = await self.db.images.find_one({"project_id": image.project_id, "sha256": image.sha256})
        if doc is None:
            return None
        job = await self.db.jobs.find_one({"image_id": doc["_id"]})
        if job is None:  # the image is being deleted with its project
            return None
        return _record(Image, doc), _record(Job, job), True

    async def add_image(self, image: Image, data: bytes) -> tuple[Image, Job, bool]:
        image.sha256, image.size = sha256_of(data), len(data)
        existing = await self._existing(image)
        if existing:
            return existing
        if await self.db.projects.find_one({"_id": image.project_id}, {"_id": 1}) is None:
            raise LookupError(f"Project {image.project_id} no longer exists.")
        if await self.db[f"{BLOB_BUCKET}.files"].find_one({"_id": image.sha256}, {"_id": 1}) is None:
            with contextlib.suppress(DuplicateKeyError):  # the same bytes uploaded concurrently elsewhere
                await self.blobs.upload_from_stream_with_id(image.sha256, image.sha256, data)
        job = Job(image_id=image.id, project_id=image.project_id)

        async def insert(session: AsyncClientSession) -> None:
            await self.db.images.insert_one(_doc(image), session=session)
            await self.db.jobs.insert_one(_doc(job), session=session)

        try:
            await self._in_transaction(insert)
        except DuplicateKeyError:
            raced = await self._existing(image)
            if raced is None:
                raise
            return raced
        return image, job, False

    async def get_image(self, image_id: str) -> Image | None:
        doc = await self.db.images.find_one({"_id": image_id})
        return _record(Image, doc) if doc else None

    async def get_image_entry(self, image_id: str) -> ImageEntry | None:
        image = await self.get_image(image_id)
        if image is None:
            return None
        job = await self.db.jobs.find_one({"image_id": image_id})
        if job is None:
            return None
        return ImageEntry(image, _record(Job, job), await self.get_result(image_id))

    async def list_image_entries(self, project_id: str) -> list[ImageEntry]:
        query = {"project_id": project_id}
        images = [
            _record(Image, d)
            async for d in self.db.images.find(query).sort([("uploaded_at", ASCENDING), ("_id", ASCENDING)])
        ]
        jobs = {d["image_id"]: _record(Job, d) async for d in self.db.jobs.find(query)}
        results = {d["_id"]: _result(d) async for d in self.db.results.find(query)}
        return [ImageEntry(i, jobs[i.id], results.get(i.id)) for i in images if i.id in jobs]

    async def read_image_bytes(self, sha256: str) -> bytes | None:
        try:
            stream = await self.blobs.open_download_stream(sha256)
        except NoFile:
            return None
        return await stream.read()

    # --- jobs --------------------------------------------------------------------------
    async def get_job(self, job_id: str) -> Job | None:
        doc = await self.db.jobs.find_one({"_id": job_id})
        return _record(Job, doc) if doc else None

    async def claim_jobs(self, worker_id: str, limit: int, lease_seconds: float, max_attempts: int) -> list[Job]:
        if self._watcher is None:  # only workers claim, so only workers watch
            self._watcher = asyncio.create_task(self._watch())
        self._wakeup.clear()  # anything queued from now on wakes `wait_for_jobs`
        now = time.time()
        async for doc in self.db.jobs.find({"status": "running", "lease_expires_at": {"$lt": now}}):
            lost = doc["attempts"] >= max_attempts
            await self.db.jobs.update_one(
                {"_id": doc["_id"], "status": "running", "worker_id": doc["worker_id"]},
                {
                    "$set": {
                        "status": "failed" if lost else "pending",
                        "error": (doc.get("error") or lease_lost_message(doc["attempts"]))
                        if lost
                        else doc.get("error"),
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
            claimed.append(_record(Job, claimed_doc))
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
        status = "pending" if retry and doc["attempts"] < max_attempts else "failed"
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

    # --- results -----------------------------------------------------------------------
    async def get_result(self, image_id: str) -> Result | None:
        doc = await self.db.results.find_one({"_id": image_id})
        return _result(doc) if doc else None

    async def confirm_usable(self, image_id: str, user_id: str) -> bool:
        image = await self.db.images.find_one({"_id": image_id}, {"project_id": 1})
        if image is None:
            return False
        await self.db.usable_confirmations.replace_one(
            {"_id": image_id},
            {"_id": image_id, "project_id": image["project_id"], "user_id": user_id, "confirmed_at": utcnow()},
            upsert=True,
        )
        return True

    async def list_usable_confirmations(self, project_id: str) -> dict[str, str]:
        cursor = self.db.usable_confirmations.find({"project_id": project_id}, {"user_id": 1})
        return {d["_id"]: d["user_id"] async for d in cursor}

    # --- model versions ----------------------------------------------------------------
    async def register_model_version(self, model: ModelVersion) -> ModelVersion:
        values = asdict(model)
        version = values.pop("version")
        registered_at = values.pop("registered_at")
        values.pop("active")
        values.pop("activated_at")
        if not values["registered_by"]:  # re-registering without a name keeps the original registrant
            values.pop("registered_by")
        await self.db.model_versions.update_one(
            {"_id": version},
            {"$set": values, "$setOnInsert": {"active": False, "registered_at": registered_at}},
            upsert=True,
        )
        stored = await self.get_model_version(version)
        assert stored is not None
        return stored

    async def list_model_versions(self) -> list[ModelVersion]:
        return [_model(d) async for d in self.db.model_versions.find().sort("registered_at")]

    async def get_model_version(self, version: str) -> ModelVersion | None:
        doc = await self.db.model_versions.find_one({"_id": version})
        return _model(doc) if doc else None

    async def activate_model_version(self, version: str) -> bool:
        async def activate(session: AsyncClientSession) -> bool:
            if await self.db.model_versions.find_one({"_id": version}, session=session) is None:
                return False
            await self.db.model_versions.update_many(
                {"active": True, "_id": {"$ne": version}}, {"$set": {"active": False}}, session=session
            )
            await self.db.model_versions.update_one(
                {"_id": version}, {"$set": {"active": True, "activated_at": utcnow()}}, session=session
            )
            return True

        return bool(await self._in_transaction(activate))

    async def active_model_version(self) -> ModelVersion | None:
        doc = await self.db.model_versions.find_one({"active": True})
        return _model(doc) if doc else None

    # --- label sets, labels, audit trail -----------------------------------------------
    async def create_label_set(self, label_set: LabelSet) -> LabelSet:
        try:
            await self.db.label_sets.insert_one(_label_set_doc(label_set))
        except DuplicateKeyError:
            raise ConflictError(f"A label set named {label_set.name!r} already exists; choose another name.") from None
        return label_set

    async def ensure_label_set(self, label_set: LabelSet) -> LabelSet:
        values = _label_set_doc(label_set)
        values.pop("_id")
        await self.db.label_sets.update_one({"_id": label_set.name}, {"$setOnInsert": values}, upsert=True)
        stored = await self.get_label_set(label_set.name)
        assert stored is not None
        return stored

    async def get_label_set(self, name: str) -> LabelSet | None:
        doc = await self.db.label_sets.find_one({"_id": name})
        return _label_set(doc) if doc else None

    async def list_label_sets(self) -> list[LabelSet]:
        return [_label_set(d) async for d in self.db.label_sets.find().sort([("created_at", ASCENDING), ("_id", 1)])]

    async def update_label_set_classes(self, name: str, classes: list[str]) -> LabelSet | None:
        await self.db.label_sets.update_one({"_id": name}, {"$set": {"classes": classes}})
        return await self.get_label_set(name)

    async def record_fit(
        self, name: str, labels_version: int, model_version: str, status: str, message: str | None
    ) -> None:
        await self.db.label_sets.update_one(
            {
                "_id": name,
                "$or": [
                    {"fitted_labels_version": {"$lte": labels_version}},
                    {"fitted_model_version": {"$ne": model_version}},
                ],
            },
            {
                "$set": {
                    "fitted_labels_version": labels_version,
                    "fitted_model_version": model_version,
                    "status": status,
                    "message": message,
                }
            },
        )

    async def _apply_label(self, event: LabelEvent, session: AsyncClientSession) -> None:
        await self.db.label_events.insert_one(_doc(event), session=session)
        key = {"_id": f"{event.image_id}/{event.label_set}"}
        if event.label is None:
            await self.db.labels.delete_one(key, session=session)
            return
        label = CellLabel(
            image_id=event.image_id,
            project_id=event.project_id,
            label_set=event.label_set,
            label=event.label,
            source=event.source,
            user_id=event.user_id,
            event_id=event.id,
            updated_at=event.created_at,
        )
        await self.db.labels.replace_one(key, {**key, **asdict(label)}, upsert=True, session=session)

    async def set_labels(self, events: list[LabelEvent]) -> list[LabelEvent]:
        async def apply(session: AsyncClientSession) -> list[LabelEvent]:
            for event in events:
                current = await self.db.labels.find_one({"_id": f"{event.image_id}/{event.label_set}"}, session=session)
                event.previous_label = current["label"] if current else None
                await self._apply_label(event, session)
            for name in {e.label_set for e in events}:
                await self.db.label_sets.update_one({"_id": name}, {"$inc": {"labels_version": 1}}, session=session)
            return events

        return list(await self._in_transaction(apply)) if events else []

    async def undo_label_event(self, event_id: str, user_id: str) -> LabelEvent:
        async def undo(session: AsyncClientSession) -> LabelEvent:
            doc = await self.db.label_events.find_one({"_id": event_id}, session=session)
            if doc is None:
                raise LookupError(f"There is no label change {event_id}.")
            original = _record(LabelEvent, doc)
            latest = await self.db.label_events.find_one(
                {
                    "image_id": original.image_id,
                    "label_set": original.label_set,
                    "action": {"$ne": "undo"},
                    "undone_by": None,
                },
                sort=[("created_at", -1), ("_id", -1)],
                session=session,
            )
            check_undoable(original, latest["_id"] if latest else "")
            undo_event = undo_of(original, user_id)
            await self._apply_label(undo_event, session)
            await self.db.label_events.update_one(
                {"_id": original.id}, {"$set": {"undone_by": undo_event.id}}, session=session
            )
            await self.db.label_sets.update_one(
                {"_id": original.label_set}, {"$inc": {"labels_version": 1}}, session=session
            )
            return undo_event

        return await self._in_transaction(undo)  # type: ignore[no-any-return]

    async def get_label_event(self, event_id: str) -> LabelEvent | None:
        doc = await self.db.label_events.find_one({"_id": event_id})
        return _record(LabelEvent, doc) if doc else None

    async def list_labels(self, label_set: str, project_id: str | None = None) -> list[CellLabel]:
        query: dict[str, Any] = {"label_set": label_set}
        if project_id is not None:
            query["project_id"] = project_id
        return [
            CellLabel(**{k: v for k, v in d.items() if k != "_id"})
            async for d in self.db.labels.find(query).sort([("updated_at", ASCENDING), ("_id", ASCENDING)])
        ]

    async def list_label_events(self, label_set: str | None = None, image_id: str | None = None) -> list[LabelEvent]:
        query = {k: v for k, v in (("label_set", label_set), ("image_id", image_id)) if v is not None}
        return [
            _record(LabelEvent, d)
            async for d in self.db.label_events.find(query).sort([("created_at", ASCENDING), ("_id", ASCENDING)])
        ]

    # --- classifiers and re-scoring ----------------------------------------------------
    async def add_classifier(self, classifier: ClassifierVersion) -> ClassifierVersion:
        while True:
            latest = await self.db.classifiers.find_one({"label_set": classifier.label_set}, sort=[("version", -1)])
            classifier.version = (latest["version"] if latest else 0) + 1
            try:
                await self.db.classifiers.insert_one(asdict(classifier))
            except DuplicateKeyError:  # another worker numbered one at the same moment
                continue
            return classifier

    async def latest_classifiers(self, model_version: str) -> dict[str, ClassifierVersion]:
        latest: dict[str, ClassifierVersion] = {}
        async for doc in self.db.classifiers.find({"model_version": model_version}).sort("version", ASCENDING):
            latest[doc["label_set"]] = _classifier(doc)
        return latest

    async def list_classifier_versions(self, label_set: str) -> list[ClassifierVersion]:
        cursor = self.db.classifiers.find({"label_set": label_set}, {"arrays": 0}).sort("version", ASCENDING)
        return [_classifier({**d, "arrays": b""}) async for d in cursor]

    async def list_result_vectors(self, model_version: str) -> list[ResultVector]:
        cursor = self.db.results.find(
            {"model_version": model_version, "embedding": {"$ne": None}},
            {"project_id": 1, "embedding": 1, "labels": 1},
        )
        return [ResultVector(d["_id"], d["project_id"], bytes(d["embedding"]), d["labels"]) async for d in cursor]

    async def update_predictions(
        self, label_set: str, model_version: str, probabilities: dict[str, dict[str, float]]
    ) -> int:
        from pymongo import UpdateOne

        operations = [
            UpdateOne(
                {"_id": image_id, "model_version": model_version},
                {
                    "$set": {
                        f"labels.{label_set}": max(probs, key=probs.__getitem__),
                        f"probabilities.{label_set}": probs,
                    }
                },
            )
            for image_id, probs in probabilities.items()
        ]
        if not operations:
            return 0
        outcome = await self.db.results.bulk_write(operations, ordered=False)
        return int(outcome.matched_count)


def _result(doc: dict[str, Any]) -> Result:
    values = dict(doc)
    values["image_id"] = values.pop("_id")
    values["neighbours"] = [NeighbourRecord(**n) for n in values["neighbours"]]
    values["landscape"] = tuple(values["landscape"]) if values.get("landscape") else None
    if values.get("embedding") is not None:
        values["embedding"] = bytes(values["embedding"])
    return Result(**values)


def _label_set_doc(label_set: LabelSet) -> dict[str, Any]:
    values = asdict(label_set)
    values["_id"] = values.pop("name")
    return values


def _label_set(doc: dict[str, Any]) -> LabelSet:
    values = dict(doc)
    values["name"] = values.pop("_id")
    return LabelSet(**values)


def _classifier(doc: dict[str, Any]) -> ClassifierVersion:
    values = {k: v for k, v in doc.items() if k != "_id"}
    values["arrays"] = bytes(values["arrays"])
    return ClassifierVersion(**values)


def _model(doc: dict[str, Any]) -> ModelVersion:
    values = dict(doc)
    values["version"] = values.pop("_id")
    return ModelVersion(**values)
