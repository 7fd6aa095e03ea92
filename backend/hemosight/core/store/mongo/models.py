"""Registered model versions and the model bundles kept in GridFS."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from gridfs.asynchronous import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from hemosight.core.store.base import (
    GRIDFS_SCHEME,
    BundleFileError,
    ModelVersion,
    utcnow,
)
from hemosight.core.store.files import download_verified
from hemosight.core.store.mongo.codec import (
    model_from_doc,
)
from hemosight.core.store.mongo.connection import MODEL_BUCKET, MongoConnection


class ModelsMixin(MongoConnection):
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
        return [model_from_doc(d) async for d in self.db.model_versions.find().sort("registered_at")]

    async def get_model_version(self, version: str) -> ModelVersion | None:
        doc = await self.db.model_versions.find_one({"_id": version})
        return model_from_doc(doc) if doc else None

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
        return model_from_doc(doc) if doc else None

    async def save_model_file(self, source: Path, checksum: str) -> str:
        if await self.db[f"{MODEL_BUCKET}.files"].find_one({"_id": checksum}, {"_id": 1}) is None:
            bucket = AsyncGridFSBucket(self.db, bucket_name=MODEL_BUCKET)
            try:
                with open(source, "rb") as handle:
                    await bucket.upload_from_stream_with_id(checksum, f"{checksum}.hsb", handle)
            except DuplicateKeyError:  # the same bundle uploaded concurrently
                pass
        return f"{GRIDFS_SCHEME}{checksum}"

    async def model_file(self, model: ModelVersion, cache_dir: Path) -> Path:
        if not model.path.startswith(GRIDFS_SCHEME):
            return Path(model.path)
        target = Path(cache_dir).expanduser() / f"{model.checksum}.hsb"
        if target.is_file():
            return target
        bucket = AsyncGridFSBucket(self.db, bucket_name=MODEL_BUCKET)
        try:
            stream = await bucket.open_download_stream(model.path.removeprefix(GRIDFS_SCHEME))
        except NoFile:
            raise BundleFileError(
                f"Model {model.version} is missing from the store; upload it again with 'hemosight models upload'."
            ) from None
        if not await download_verified(stream.read, target, model.checksum):
            raise BundleFileError(
                f"Model {model.version} in the store is damaged (checksum mismatch); upload it again."
            )
        return target
