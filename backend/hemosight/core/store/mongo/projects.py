"""Projects and their images (bytes in GridFS) in MongoDB."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from gridfs.errors import NoFile
from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from hemosight.core.store.base import (
    CASE_STATUS_FIELDS,
    Image,
    ImageEntry,
    Job,
    Project,
    Result,
    utcnow,
)
from hemosight.core.store.blobs import sha256_of
from hemosight.core.store.mongo.codec import (
    from_doc,
    result_from_doc,
    to_doc,
)
from hemosight.core.store.mongo.connection import BLOB_BUCKET, MongoConnection


class ProjectsMixin(MongoConnection):
    # --- projects ----------------------------------------------------------------------
    async def create_project(self, project: Project) -> Project:
        project.member_ids = sorted({project.owner_id, *project.member_ids})
        await self.db.projects.insert_one(to_doc(project))
        return project

    async def get_project(self, project_id: str) -> Project | None:
        doc = await self.db.projects.find_one({"_id": project_id})
        return from_doc(Project, doc) if doc else None  # fields added in schema 4 take their defaults

    async def list_projects(self, member_id: str | None = None) -> list[Project]:
        query = {} if member_id is None else {"member_ids": member_id}
        return [
            from_doc(Project, d)
            async for d in self.db.projects.find(query).sort([("created_at", ASCENDING), ("_id", ASCENDING)])
        ]

    async def update_project(self, project: Project) -> None:
        project.member_ids = sorted({project.owner_id, *project.member_ids})
        fields = {k: v for k, v in to_doc(project).items() if k not in ("_id", *CASE_STATUS_FIELDS)}
        await self.db.projects.update_one({"_id": project.id}, {"$set": fields})

    async def set_case_status(
        self, project_id: str, status: str, user_id: str | None, at: datetime | None, expected: str
    ) -> bool:
        # A project stored before schema 4 has no status field: it is in review.
        current: dict[str, Any] = {"status": expected}
        if expected == "in_review":
            current = {"$or": [current, {"status": {"$exists": False}}]}
        updated = await self.db.projects.update_one(
            {"_id": project_id, **current},
            {"$set": {"status": status, "signed_off_by": user_id, "signed_off_at": at}},
        )
        return updated.modified_count == 1

    async def delete_project(self, project_id: str) -> bool:
        hashes = {d["sha256"] async for d in self.db.images.find({"project_id": project_id}, {"sha256": 1})}
        deleted = (await self.db.projects.delete_one({"_id": project_id})).deleted_count == 1
        for collection in (
            self.db.results,
            self.db.jobs,
            self.db.images,
            self.db.labels,
            self.db.usable_confirmations,
            self.db.case_events,
            self.db.explanations,
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
        return from_doc(Image, doc), from_doc(Job, job), True

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
            await self.db.images.insert_one(to_doc(image), session=session)
            await self.db.jobs.insert_one(to_doc(job), session=session)

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
        return from_doc(Image, doc) if doc else None

    async def get_image_entry(self, image_id: str) -> ImageEntry | None:
        image = await self.get_image(image_id)
        if image is None:
            return None
        job = await self.db.jobs.find_one({"image_id": image_id})
        if job is None:
            return None
        return ImageEntry(image, from_doc(Job, job), await self.get_result(image_id))

    async def get_result(self, image_id: str) -> Result | None:
        doc = await self.db.results.find_one({"_id": image_id})
        return result_from_doc(doc) if doc else None

    async def list_image_entries(self, project_id: str) -> list[ImageEntry]:
        query = {"project_id": project_id}
        images = [
            from_doc(Image, d)
            async for d in self.db.images.find(query).sort([("uploaded_at", ASCENDING), ("_id", ASCENDING)])
        ]
        jobs = {d["image_id"]: from_doc(Job, d) async for d in self.db.jobs.find(query)}
        results = {d["_id"]: result_from_doc(d) async for d in self.db.results.find(query)}
        return [ImageEntry(i, jobs[i.id], results.get(i.id)) for i in images if i.id in jobs]

    # --- usable confirmations -----------------------------------------------------------
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

    async def read_image_bytes(self, sha256: str) -> bytes | None:
        try:
            stream = await self.blobs.open_download_stream(sha256)
        except NoFile:
            return None
        return await stream.read()
