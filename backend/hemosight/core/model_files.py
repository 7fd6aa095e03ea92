"""Where uploaded model bundles live, so that every backend and worker can read the active one.

`hemosight models add PATH` registers a bundle where it lies (one machine, shared disk).
`hemosight models upload PATH` (and the admin API) copies it into the store instead
(`Store.save_model_file`): the embedded store keeps it as ``<data_dir>/models/<sha256>.hsb``;
MongoDB keeps it in GridFS and the registered path is ``gridfs:<sha256>``. A process that
needs such a bundle asks the store for a local file (`Store.model_file`), which downloads it
once into the process's cache folder, checks the SHA-256, and reuses it until the active
version changes. This module only names those two steps for the API and the worker.
"""

from __future__ import annotations

from pathlib import Path

from hemosight.core.store.base import GRIDFS_SCHEME, BundleFileError, ModelVersion, Store

__all__ = ["GRIDFS_SCHEME", "BundleFileError", "bundle_file", "is_kept_in_store", "save_bundle"]


async def save_bundle(store: Store, source: Path, checksum: str) -> str:
    """Copy the bundle into the store; returns the location to register as the version's `path`."""
    return await store.save_model_file(source, checksum)


async def bundle_file(store: Store, model: ModelVersion, cache_dir: Path) -> Path:
    """A local file with the bundle's bytes: the registered path, or a verified copy the store downloaded."""
    return await store.model_file(model, cache_dir)


def is_kept_in_store(model: ModelVersion) -> bool:
    """True if the store holds the bundle's bytes (uploaded), False if it was registered where it lies."""
    return model.path.startswith(GRIDFS_SCHEME) or Path(model.path).name == f"{model.checksum}.hsb"
