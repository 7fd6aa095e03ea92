"""Where uploaded model bundles live, so that every backend and worker can read the active one.

`hemosight models add PATH` registers a bundle where it lies (one machine, shared disk).
`hemosight models upload PATH` (and the admin API) copies it into the store instead:
the embedded store keeps it as ``<data_dir>/models/<sha256>.hsb``; MongoDB keeps it in
GridFS (bucket ``model_bundles``, file id = SHA-256) and the registered path is
``gridfs:<sha256>``. A process that needs such a bundle downloads it once into its own
cache folder, checks the SHA-256, and reuses it until the active version changes.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from backend.store.base import ModelVersion, Store

GRIDFS_BUCKET = "model_bundles"
GRIDFS_SCHEME = "gridfs:"


class BundleFileError(RuntimeError):
    """The bundle's bytes cannot be found or are damaged; the message says what to do."""


async def save_bundle(store: Store, source: Path, checksum: str) -> str:
    """Copy the bundle into the store; returns the location to register as the version's `path`."""
    from backend.store.sqlite import SQLiteStore

    if isinstance(store, SQLiteStore):
        target = store.data_dir / "models" / f"{checksum}.hsb"
        await asyncio.to_thread(_copy_atomically, source, target)
        return str(target)
    db = getattr(store, "db", None)
    if db is None:
        raise BundleFileError(f"{type(store).__name__} cannot keep model bundles; register the file with 'add'.")
    from gridfs.asynchronous import AsyncGridFSBucket
    from pymongo.errors import DuplicateKeyError

    if await db[f"{GRIDFS_BUCKET}.files"].find_one({"_id": checksum}, {"_id": 1}) is None:
        bucket = AsyncGridFSBucket(db, bucket_name=GRIDFS_BUCKET)
        try:
            with open(source, "rb") as handle:
                await bucket.upload_from_stream_with_id(checksum, f"{checksum}.hsb", handle)
        except DuplicateKeyError:  # the same bundle uploaded concurrently
            pass
    return f"{GRIDFS_SCHEME}{checksum}"


async def bundle_file(store: Store, model: ModelVersion, cache_dir: Path) -> Path:
    """A local file with the bundle's bytes: the registered path, or a verified copy downloaded from GridFS."""
    if not model.path.startswith(GRIDFS_SCHEME):
        return Path(model.path)
    target = Path(cache_dir).expanduser() / f"{model.checksum}.hsb"
    if target.is_file():
        return target
    db: Any = getattr(store, "db", None)
    if db is None:
        raise BundleFileError(f"Model {model.version} is kept in MongoDB, but this process uses another store.")
    from gridfs.asynchronous import AsyncGridFSBucket
    from gridfs.errors import NoFile

    bucket = AsyncGridFSBucket(db, bucket_name=GRIDFS_BUCKET)
    try:
        stream = await bucket.open_download_stream(model.path.removeprefix(GRIDFS_SCHEME))
    except NoFile:
        raise BundleFileError(
            f"Model {model.version} is missing from the store; upload it again with 'hemosight models upload'."
        ) from None
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".download-", suffix=".tmp")
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as handle:
            while chunk := await stream.read(1 << 20):
                digest.update(chunk)
                handle.write(chunk)
        if digest.hexdigest() != model.checksum:
            raise BundleFileError(
                f"Model {model.version} in the store is damaged (checksum mismatch); upload it again."
            )
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def _copy_atomically(source: Path, target: Path) -> None:
    if target.is_file() and target.stat().st_size == source.stat().st_size:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
