"""Model bundles as the backend needs them: reference thumbnails and the landscape map.

`ModelBundle.load` reads numpy arrays only (no TensorFlow: the encoder is built lazily by
`embed`, which the backend never calls). Bundles are large, so the few most recently used
versions are kept in memory, keyed by path and checksum so that a replaced file is reread.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import TYPE_CHECKING

from backend.store.base import ModelVersion

if TYPE_CHECKING:
    from models.bundle import ModelBundle


class BundleUnavailableError(RuntimeError):
    """The registered bundle file cannot be read; the message says what to do."""


class BundleCache:
    def __init__(self, size: int = 2) -> None:
        self.size = size
        self._bundles: OrderedDict[tuple[str, str], ModelBundle] = OrderedDict()
        self._lock = asyncio.Lock()

    async def get(self, model: ModelVersion) -> ModelBundle:
        key = (model.path, model.checksum)
        async with self._lock:
            if key in self._bundles:
                self._bundles.move_to_end(key)
                return self._bundles[key]
            bundle = await asyncio.to_thread(_load, model)
            self._bundles[key] = bundle
            while len(self._bundles) > self.size:
                self._bundles.popitem(last=False)
            return bundle


def _load(model: ModelVersion) -> ModelBundle:
    from pathlib import Path

    from models.bundle import BundleError, ModelBundle

    try:
        return ModelBundle.load(Path(model.path))
    except BundleError as exc:
        raise BundleUnavailableError(
            f"Model {model.version} cannot be read: {exc} Ask your administrator to register it again."
        ) from None
