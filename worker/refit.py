"""Refitting label-set classifiers on the fixed embedding after the lab labels cells.

The embedding never changes; only the light classifier of a label set does. Its support
set is the bundle's reference cells labelled in that set plus every cell the lab labelled
(reviewer corrections, confirmations, imports); a label set the lab defined has only the
lab's labels. After a fit the classifier is stored as a new version, every result of the
active model is re-scored in that label set, and new uploads use it too.

A label set needs a refit when its labels changed since the last fit (`labels_version`
ahead of `fitted_labels_version`) or when the active model changed (the old classifier
belongs to another embedding). Several workers may refit the same label set at once;
that only costs time, as each records its own version and the newest labels win.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from backend.store.base import ClassifierVersion, LabelSet, ModelVersion, ResultVector, Store
from models.bundle import ModelBundle
from models.classifiers import LabelSetClassifier, NotEnoughLabelsError

log = logging.getLogger("hemosight.worker.refit")


def classifier_bytes(classifier: LabelSetClassifier) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **classifier.to_arrays("c"))
    return buffer.getvalue()


def classifier_from_bytes(data: bytes) -> LabelSetClassifier:
    arrays = dict(np.load(io.BytesIO(data), allow_pickle=False))
    return LabelSetClassifier.from_arrays(arrays, "c")


@dataclass
class SupportSet:
    embeddings: np.ndarray
    labels: np.ndarray
    reference_cells: int
    lab_cells: int
    lab_cells_without_embedding: int


def support_set(
    bundle: ModelBundle, label_set: str, lab_labels: dict[str, str], vectors: dict[str, np.ndarray]
) -> SupportSet:
    """The bundle's reference cells labelled in `label_set` plus the lab's labelled cells that have an embedding."""
    reference_labels = np.asarray(bundle.references.labels.get(label_set, []), dtype=object)
    rows = np.flatnonzero(reference_labels != "") if len(reference_labels) else np.zeros(0, np.int64)
    lab_ids = [image_id for image_id in lab_labels if image_id in vectors]
    parts = [bundle.references.embeddings[rows].astype(np.float32)]
    if lab_ids:
        parts.append(np.stack([vectors[i] for i in lab_ids]))
    labels = np.concatenate([reference_labels[rows].astype(str), np.asarray([lab_labels[i] for i in lab_ids], str)])
    return SupportSet(
        embeddings=np.concatenate(parts) if len(labels) else np.zeros((0, 1), np.float32),
        labels=labels,
        reference_cells=len(rows),
        lab_cells=len(lab_ids),
        lab_cells_without_embedding=len(lab_labels) - len(lab_ids),
    )


def not_enough_labels_message(labels: np.ndarray) -> str:
    classes = sorted(set(labels.tolist()))
    if not classes:
        return "No cell is labelled in this label set yet; label cells of at least two classes to get a classifier."
    return (
        f"{len(labels)} cell(s) labelled, all as {classes[0]!r}; label cells of at least one more class "
        "to get a classifier."
    )


class Refitter:
    """Keeps the lab's classifiers of the active model in memory and refits those whose labels changed."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._key: tuple[Any, ...] | None = None
        self._classifiers: dict[str, tuple[int, LabelSetClassifier]] = {}

    async def classifiers(self, model: ModelVersion) -> dict[str, LabelSetClassifier]:
        """The newest lab classifier per label set for `model` (reloaded only when one changed)."""
        label_sets = await self.store.list_label_sets()
        key = (model.version, *((s.name, s.fitted_labels_version, s.fitted_model_version) for s in label_sets))
        if key != self._key:
            stored = await self.store.latest_classifiers(model.version)
            self._classifiers = {
                name: (c.version, self._classifiers[name][1])
                if name in self._classifiers and self._classifiers[name][0] == c.version
                else (c.version, classifier_from_bytes(c.arrays))
                for name, c in stored.items()
            }
            self._key = key
        return {name: clf for name, (_, clf) in self._classifiers.items()}

    async def refit_pending(self, bundle: ModelBundle, model: ModelVersion) -> list[ClassifierVersion]:
        """Refit every label set whose labels changed; returns the classifier versions stored."""
        pending = [s for s in await self.store.list_label_sets() if s.needs_refit(model.version)]
        if not pending:
            return []
        vectors = await self.store.list_result_vectors(model.version)
        fitted = []
        for label_set in pending:
            version = await self.refit(label_set, bundle, model, vectors)
            if version is not None:
                fitted.append(version)
        return fitted

    async def refit(
        self, label_set: LabelSet, bundle: ModelBundle, model: ModelVersion, vectors: list[ResultVector]
    ) -> ClassifierVersion | None:
        started = time.perf_counter()
        labels_version = label_set.labels_version
        lab_labels = {c.image_id: c.label for c in await self.store.list_labels(label_set.name)}
        embeddings = {v.image_id: np.frombuffer(v.embedding, np.float16).astype(np.float32) for v in vectors}
        support = support_set(bundle, label_set.name, lab_labels, embeddings)
        try:
            classifier = await asyncio.to_thread(LabelSetClassifier().fit, support.embeddings, support.labels)
        except NotEnoughLabelsError:
            await self.store.record_fit(
                label_set.name, labels_version, model.version, "needs_labels", not_enough_labels_message(support.labels)
            )
            return None
        except Exception as exc:  # a refit must never stop the worker
            log.exception("Refitting label set %s failed.", label_set.name)
            await self.store.record_fit(
                label_set.name,
                labels_version,
                model.version,
                "failed",
                f"The classifier could not be refitted ({type(exc).__name__}: {exc}); the previous one is kept.",
            )
            return None
        fit_seconds = time.perf_counter() - started
        metrics: dict[str, Any] = {
            "reference_cells": support.reference_cells,
            "lab_cells": support.lab_cells,
            "lab_cells_without_embedding": support.lab_cells_without_embedding,
            "fit_seconds": round(fit_seconds, 3),
            **await self._agreement_on_new_labels(label_set.name, lab_labels, vectors),
        }
        rescore_started = time.perf_counter()
        ids = [v.image_id for v in vectors]
        probabilities: dict[str, dict[str, float]] = {}
        if ids:
            matrix = await asyncio.to_thread(classifier.predict_proba, np.stack([embeddings[i] for i in ids]))
            probabilities = {
                image_id: dict(zip(classifier.classes_, map(float, row), strict=True))
                for image_id, row in zip(ids, matrix, strict=True)
            }
        version = await self.store.add_classifier(
            ClassifierVersion(
                label_set=label_set.name,
                model_version=model.version,
                labels_version=labels_version,
                classes=list(classifier.classes_),
                arrays=classifier_bytes(classifier),
                support_size=len(support.labels),
                metrics=metrics,
            )
        )
        changed = await self.store.update_predictions(label_set.name, model.version, probabilities)
        metrics["rescore_seconds"] = round(time.perf_counter() - rescore_started, 3)
        await self.store.record_fit(label_set.name, labels_version, model.version, "ready", None)
        log.info(
            "Label set %s: classifier version %d on %d cells (%d from the lab), %d results re-scored in %.2f s.",
            label_set.name,
            version.version,
            len(support.labels),
            support.lab_cells,
            changed,
            time.perf_counter() - started,
        )
        return version

    async def _agreement_on_new_labels(
        self, label_set: str, lab_labels: dict[str, str], vectors: list[ResultVector]
    ) -> dict[str, Any]:
        """How often the predictions shown before this fit matched the labels added since the last fit.

        Those cells were not in the previous support set, so this is a held-out score of the
        previous classifier: one point of the label set's learning curve, free of charge.
        """
        previous = await self.store.list_classifier_versions(label_set)
        since = previous[-1].created_at if previous else None
        new_ids = {c.image_id for c in await self.store.list_labels(label_set) if since is None or c.updated_at > since}
        predicted = {v.image_id: v.labels.get(label_set) for v in vectors}
        pairs = [(lab_labels[i], predicted[i]) for i in new_ids if i in lab_labels and predicted.get(i)]
        if not pairs:
            return {"new_labels": 0, "agreement_on_new_labels": None}
        agree = sum(1 for truth, guess in pairs if truth == guess)
        return {
            "new_labels": len(pairs),
            "agreement_on_new_labels": agree / len(pairs),
            "previous_support_size": previous[-1].support_size if previous else None,
        }
