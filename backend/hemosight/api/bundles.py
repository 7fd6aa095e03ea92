"""Model bundles as the backend needs them: reference thumbnails and the landscape map.

`ModelBundle.load` reads numpy arrays only (no TensorFlow: the encoder is built lazily by
`embed`, which the backend never calls). Bundles are large, so the few most recently used
versions are kept in memory, keyed by path and checksum so that a replaced file is reread.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

from hemosight.core.settings import DEFAULT_DATA_DIR, MODEL_CACHE
from hemosight.core.store.base import ModelVersion, Store
from hemosight.ml.errors import HemosightError

if TYPE_CHECKING:
    from hemosight.ml.bundle import ModelBundle


class BundleUnavailableError(HemosightError, RuntimeError):
    """The registered bundle file cannot be read; the message says what to do."""


class BundleCache:
    def __init__(self, size: int = 2) -> None:
        self.size = size
        self._bundles: OrderedDict[tuple[str, str], ModelBundle] = OrderedDict()
        self._lock = asyncio.Lock()
        self._store: Store | None = None
        self._cache_dir = DEFAULT_DATA_DIR / MODEL_CACHE

    def attach(self, store: Store, cache_dir: Path) -> None:
        """The store that keeps uploaded bundles (GridFS), and where to download them."""
        self._store, self._cache_dir = store, cache_dir

    async def get(self, model: ModelVersion) -> ModelBundle:
        key = (model.path, model.checksum)
        async with self._lock:
            if key in self._bundles:
                self._bundles.move_to_end(key)
                return self._bundles[key]
            path = Path(model.path)
            if self._store is not None:
                from hemosight.core.model_files import BundleFileError, bundle_file

                try:
                    path = await bundle_file(self._store, model, self._cache_dir)
                except BundleFileError as exc:
                    raise BundleUnavailableError(str(exc)) from None
            bundle = await asyncio.to_thread(_load, model, path)
            self._bundles[key] = bundle
            while len(self._bundles) > self.size:
                self._bundles.popitem(last=False)
            return bundle


def _load(model: ModelVersion, path: Path) -> ModelBundle:
    from hemosight.ml.bundle import BundleError, ModelBundle

    try:
        return ModelBundle.load(path)
    except BundleError as exc:
        raise BundleUnavailableError(
            f"Model {model.version} cannot be read: {exc} Ask your administrator to register it again."
        ) from None
