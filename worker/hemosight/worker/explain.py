"""Explanations in the worker: claim one requested explanation, compute its heatmap, store the PNG.

Runs in the worker because the GradCAM++ heatmap needs TensorFlow (hemosight.ml.explain), which the API
process never loads. A claim is leased like a classification job, so a worker that dies on one leaves it to
another; after `max_attempts` claims it fails with a message.
"""

from __future__ import annotations

import asyncio
import logging

from hemosight.core.store.base import Store
from hemosight.ml.bundle import ModelBundle
from hemosight.ml.explain import explain_cell
from hemosight.ml.imageio import ImageDecodeError, decode_image

log = logging.getLogger("hemosight.worker")


async def explain_next(
    store: Store, bundle: ModelBundle, worker_id: str, lease_seconds: float, max_attempts: int
) -> bool:
    """Compute one pending explanation; False when none was waiting."""
    claimed = await store.claim_explanation(worker_id, lease_seconds, max_attempts)
    if claimed is None:
        return False
    entry = await store.get_image_entry(claimed.image_id)
    error: str | None = None
    png, method = None, None
    if entry is None or entry.result is None:
        error = "The cell is no longer classified (deleted, or waiting to be re-scored)."
    elif entry.result.model_version != bundle.version:
        error = (
            f"The cell was classified by model {entry.result.model_version}, but the workers now run "
            f"{bundle.version}; re-score the case, then ask again."
        )
    else:
        data = await store.read_image_bytes(entry.image.sha256)
        try:
            if data is None:
                raise ImageDecodeError("The image file is missing from storage.")
            pixels = await asyncio.to_thread(decode_image, data)
            neighbours = [n.reference_id for n in entry.result.neighbours]
            png, method = await asyncio.to_thread(explain_cell, bundle, pixels, entry.result.label, neighbours)
        except Exception as exc:  # reported to the person who asked, never a crashed worker
            log.exception("Explanation of image %s failed.", claimed.image_id)
            error = f"{type(exc).__name__}: {exc}"
    await store.finish_explanation(worker_id, claimed.image_id, png, method, error)
    log.info("Explained image %s (%s).", claimed.image_id, method or f"failed: {error}")
    return True
