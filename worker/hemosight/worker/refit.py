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

Refits never make things worse:
- the support set starts from the cells the bundle's classifier was fitted on (its support
  member, else its reference cells), with the same recipe and the same fold keys, so a refit
  with no lab labels reproduces the bundle's predictions exactly (it is the bundle's classifier);
- a refit is put into use only if its held-out verdicts on its support cells are not worse
  than those of the classifier in use beyond chance (`compare_on_support`: cross-validated
  verdicts on the cells both rest on, the classifier in use's predictions on the new ones,
  McNemar's test at 5 %; a bundle classifier stored without verdicts is judged by its
  predictions); otherwise the label set says why and the classifier in use stays;
- the lab's labelled (reviewed) cells keep their predictions: only other cells are re-scored;
- the cells whose predicted class changed are recorded with the new classifier version
  (`metrics["changed_image_ids"]`), so the app can list them.

Fast refits (correction → updated grid within seconds at 16,000 support cells): the label-free part
of a fit on the bundle's support cells of a label set (`Basis`: standardisation, principal axes,
projected cells, Gram matrix) is computed once per bundle and label set and kept in memory (the
default label set's when the worker loads the bundle); a refit appends the lab's cells to it and
starts from the classifier in use (its weights, its folds' weights, its Platt parameters), which
a few new labels move little. The predictions of the projects whose labels changed are written
first, then the classifier version is recorded (the app refetches its grid on it), then the
other projects' predictions.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from hemosight.core.label_rules import MIN_LABELS_PER_CLASS, needs_labels_message
from hemosight.core.store.base import ClassifierVersion, LabelSet, ModelVersion, ResultVector, Store
from hemosight.ml.bundle import ModelBundle
from hemosight.ml.classifiers import (
    Basis,
    Comparison,
    LabelSetClassifier,
    NotEnoughLabelsError,
    compare_on_support,
    recipe_of,
)

log = logging.getLogger("hemosight.worker.refit")


def classifier_bytes(classifier: LabelSetClassifier) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **classifier.to_arrays("c"))
    return buffer.getvalue()


def classifier_from_bytes(data: bytes) -> LabelSetClassifier:
    arrays = dict(np.load(io.BytesIO(data), allow_pickle=False))
    return LabelSetClassifier.from_arrays(arrays, "c")


@dataclass
class RefitSupport:
    """The cells a refit rests on: keys (bundle cell ids, then image ids) fix each cell's calibration fold."""

    keys: list[str]
    embeddings: np.ndarray
    labels: np.ndarray
    reference_cells: int
    lab_cells: int
    lab_cells_without_embedding: int


BundleCells = tuple[list[str], np.ndarray, np.ndarray]


def support_set(
    bundle: ModelBundle,
    label_set: str,
    lab_labels: dict[str, str],
    vectors: dict[str, np.ndarray],
    cells: BundleCells | None = None,
) -> RefitSupport:
    """The bundle's support cells labelled in `label_set` plus the lab's labelled cells that have an embedding.

    `cells`: the bundle's cells of the label set when already at hand (`bundle.support_set().cells`)."""
    ids, embeddings, labels = cells if cells is not None else bundle.support_set().cells(label_set)
    lab_ids = sorted(image_id for image_id in lab_labels if image_id in vectors)
    parts = [embeddings]
    if lab_ids:
        parts.append(np.stack([vectors[i] for i in lab_ids]))
    all_labels = np.concatenate([labels, np.asarray([lab_labels[i] for i in lab_ids], str)])
    return RefitSupport(
        keys=ids + lab_ids,
        embeddings=np.concatenate(parts) if len(all_labels) else np.zeros((0, 1), np.float32),
        labels=all_labels,
        reference_cells=len(ids),
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


def class_counts(labels: np.ndarray, classes: list[str]) -> dict[str, int]:
    """Labelled cells per class of the label set (0 for a class nobody labelled), plus any other label seen."""
    counts = dict.fromkeys(classes, 0)
    for label in labels.tolist():
        counts[label] = counts.get(label, 0) + 1
    return counts


#: For administrators (the worker's log and docs/SERVICES.md), not the label set's message a lab user reads.
OLD_BUNDLE_ADMIN_HINT = (
    "The active model bundle predates stable refit folds (it carries no support.npz), so its classifier is judged by "
    "its predictions on cells it may have been fitted on and a refit replaces it only when clearly better. Rebuild "
    "the bundle with scripts/build_bundle.py (or install a newer release's bundle) and activate it."
)


def rejected_message(comparison: Comparison, by_predictions: bool = False) -> str:
    """Why a refit was not used, in the words of the lab user who reads it on the label set."""
    hint = (
        " This model was built before stable refits, so your labels rarely change it; ask an administrator to "
        "install an updated model."
        if by_predictions
        else ""
    )
    return (
        f"Your latest labels were not put into use: on {comparison.cells} labelled cells the new classifier was "
        f"right {comparison.candidate_correct} times and the one in use {comparison.current_correct} times, so the "
        "one in use is kept. More labels may change this." + hint
    )


def _predict(classifier: LabelSetClassifier, embeddings: np.ndarray) -> np.ndarray:
    """Probabilities with one BLAS thread: a pool fighting the worker's other threads is slower on a loaded CPU."""
    with threadpool_limits(1, user_api="blas"):
        return classifier.predict_proba(embeddings)


class Refitter:
    """Keeps the lab's classifiers of the active model in memory and refits those whose labels changed."""

    def __init__(self, store: Store, score_gate: bool = True) -> None:
        self.store = store
        #: Refuse a refit that is worse than the classifier in use (module docstring); off only where every
        #: refit must be used, e.g. tests that follow the review loop's mechanics on an untrained encoder.
        self.score_gate = score_gate
        self._key: tuple[Any, ...] | None = None
        self._classifiers: dict[str, tuple[int, LabelSetClassifier]] = {}
        #: Per label set: the bundle it belongs to, its cells in that label set and their basis (module docstring).
        self._bases: dict[str, tuple[ModelBundle, BundleCells, Basis | None]] = {}
        #: Per label set: the last classifier fitted on its cached basis (used or not), whose folds' weights
        #: start the next refit's (a classifier read back from the store has none).
        self._last_fit: dict[str, LabelSetClassifier] = {}

    def prepare(self, bundle: ModelBundle, label_set: str) -> tuple[BundleCells, Basis | None]:
        """The bundle's cells of a label set and their basis, computed on first use and kept (blocking: a thread).

        None as basis when the bundle has few cells labelled in the set (none in a lab's own label set)."""
        cached = self._bases.get(label_set)
        if cached is not None and cached[0] is bundle:
            return cached[1], cached[2]
        self._last_fit.pop(label_set, None)
        cells = bundle.support_set().cells(label_set)
        recipe = LabelSetClassifier()
        # Only a set larger than the principal axes kept: a smaller one's axes span just its own cells, and a
        # lab cell appended to it would lose what lies outside them (such fits take no time anyway).
        large = recipe.components is not None and len(cells[0]) > recipe.components
        basis = recipe.basis(cells[1]) if large else None
        self._bases[label_set] = (bundle, cells, basis)
        return cells, basis

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

    async def current_classifier(
        self, name: str, bundle: ModelBundle, model: ModelVersion
    ) -> tuple[LabelSetClassifier | None, str]:
        """The classifier in use for a label set and its status ("ready": the lab's, "model": the bundle's)."""
        lab = (await self.classifiers(model)).get(name)
        if lab is not None:
            return lab, "ready"
        return bundle.classifiers.get(name), "model"

    async def refit(
        self, label_set: LabelSet, bundle: ModelBundle, model: ModelVersion, vectors: list[ResultVector]
    ) -> ClassifierVersion | None:
        started = time.perf_counter()
        stages: dict[str, float] = {}
        labels_version = label_set.labels_version
        labelled = await self.store.list_labels(label_set.name)
        lab_labels = {c.image_id: c.label for c in labelled}
        project_of = {c.image_id: c.project_id for c in labelled}
        # One decode for every stored embedding (float16, one length per model); the dict holds row views.
        stored = (
            np.frombuffer(b"".join(v.embedding for v in vectors), np.float16).reshape(len(vectors), -1)
            if vectors
            else np.zeros((0, 1), np.float16)
        ).astype(np.float32)
        embeddings = {v.image_id: stored[i] for i, v in enumerate(vectors)}
        cells, base = await asyncio.to_thread(self.prepare, bundle, label_set.name)
        support = support_set(bundle, label_set.name, lab_labels, embeddings, cells)
        current, current_status = await self.current_classifier(label_set.name, bundle, model)
        stages["read"] = time.perf_counter() - started
        try:
            if support.lab_cells == 0 and label_set.name in bundle.classifiers:
                # No lab label left (e.g. all undone): the bundle's classifier is this fit, exactly.
                classifier = bundle.classifiers[label_set.name]
            else:
                basis = base.extend(support.embeddings[support.reference_cells :]) if base is not None else None
                start = self._last_fit.get(label_set.name, current) if basis is not None else None
                # The bundle's recipe for this label set (its C), so that a refit moves only what new labels move.
                recipe = recipe_of(bundle.classifiers.get(label_set.name))
                classifier = await asyncio.to_thread(
                    recipe.fit, support.embeddings, support.labels, support.keys, basis, start
                )
                if basis is not None:
                    self._last_fit[label_set.name] = classifier
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
        stages["fit"] = fit_seconds - stages["read"]
        # Going back to the bundle's classifier (every lab label undone) is never refused: it is the baseline.
        baseline = classifier is bundle.classifiers.get(label_set.name)
        # A bundle built before stable folds has a classifier fitted on cells it does not carry: judge it by its
        # predictions (it keeps its place unless the refit is clearly better); rebuilding the bundle lifts this.
        by_predictions = current is bundle.classifiers.get(label_set.name) and bundle.support is None
        comparison = (
            await asyncio.to_thread(compare_on_support, current, classifier, support.embeddings, by_predictions)
            if current is not None and not baseline
            else None
        )
        if self.score_gate and comparison is not None and not comparison.candidate_not_worse:
            message = rejected_message(comparison, by_predictions)
            await self.store.record_fit(label_set.name, labels_version, model.version, current_status, message)
            log.info("Label set %s: refit not used (%s).", label_set.name, message)
            if by_predictions:
                log.warning("Label set %s: %s", label_set.name, OLD_BUNDLE_ADMIN_HINT)
            return None
        counts = class_counts(support.labels, label_set.classes)
        previous_versions = await self.store.list_classifier_versions(label_set.name)
        new_ids = await self._labelled_since(label_set.name, previous_versions)
        metrics: dict[str, Any] = {
            "reference_cells": support.reference_cells,
            "lab_cells": support.lab_cells,
            "lab_cells_without_embedding": support.lab_cells_without_embedding,
            "fit_seconds": round(fit_seconds, 3),
            "class_counts": counts,
            # Per project, so the API can count for each user only the labels in projects they can see.
            "reference_class_counts": class_counts(support.labels[: support.reference_cells], label_set.classes),
            "lab_cells_by_project": dict(Counter(project_of[k] for k in support.keys[support.reference_cells :])),
            "cv_accuracy": classifier.cv_accuracy,
            **(
                {
                    "compared_cells": comparison.cells,
                    "previous_cv_correct": comparison.current_correct,
                    "cv_correct": comparison.candidate_correct,
                }
                if comparison is not None
                else {}
            ),
            **self._agreement_on_new_labels(
                label_set.name, lab_labels, project_of, vectors, new_ids, previous_versions
            ),
        }
        rescore_started = time.perf_counter()
        stages["gate"] = rescore_started - started - fit_seconds
        # Reviewed cells keep their predictions (the lab's label is what counts for them); they get one only
        # when they have none in this label set yet.
        rescored = [v for v in vectors if v.image_id not in lab_labels or label_set.name not in v.labels]
        classes = np.asarray(classifier.classes_)
        matrix = np.zeros((0, len(classes)))
        if rescored:
            row_of = {v.image_id: i for i, v in enumerate(vectors)}
            # Every stored cell, then the re-scored rows: cheaper than copying the rows' embeddings first.
            matrix = (await asyncio.to_thread(_predict, classifier, stored))[
                np.array([row_of[v.image_id] for v in rescored], np.int64)
            ]
        winners = classes[matrix.argmax(axis=1)] if len(matrix) else np.zeros(0, str)
        shown = np.asarray([v.labels.get(label_set.name, "") for v in rescored], str)
        metrics["changed_image_ids"] = [
            rescored[i].image_id for i in np.flatnonzero((shown != "") & (shown != winners))
        ]
        # The projects where the lab just labelled cells are on someone's screen: their predictions are written
        # before the classifier version is recorded (the app refetches then), the other projects' after it.
        on_screen = {v.project_id for v in vectors if v.image_id in new_ids}
        first_rows = np.fromiter((v.project_id in on_screen for v in rescored), bool, len(rescored))

        def as_probabilities(rows: np.ndarray) -> dict[str, dict[str, float]]:
            names = classifier.classes_
            return {rescored[i].image_id: dict(zip(names, map(float, matrix[i]), strict=True)) for i in rows}

        first = as_probabilities(np.flatnonzero(first_rows))
        stages["predict"] = time.perf_counter() - rescore_started
        updated = await self.store.update_predictions(label_set.name, model.version, first) if first else 0
        stages["write_on_screen"] = time.perf_counter() - rescore_started - stages["predict"]
        # Where a correction's time goes, up to the version the app refetches on (bench_refit --corrections).
        metrics["stage_seconds"] = {stage: round(value, 3) for stage, value in stages.items()}
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
        rest = as_probabilities(np.flatnonzero(~first_rows))
        updated += await self.store.update_predictions(label_set.name, model.version, rest) if rest else 0
        metrics["rescore_seconds"] = round(time.perf_counter() - rescore_started, 3)
        missing = [c for c, n in counts.items() if n < MIN_LABELS_PER_CLASS]
        await self.store.record_fit(
            label_set.name,
            labels_version,
            model.version,
            "needs_labels" if missing and label_set.kind != "model" else "ready",
            needs_labels_message(counts) if missing and label_set.kind != "model" else None,
        )
        log.info(
            "Label set %s: classifier version %d on %d cells (%d from the lab), %d results re-scored, "
            "%d changed class, in %.2f s.",
            label_set.name,
            version.version,
            len(support.labels),
            support.lab_cells,
            updated,
            len(metrics["changed_image_ids"]),
            time.perf_counter() - started,
        )
        return version

    async def _labelled_since(self, label_set: str, previous: list[ClassifierVersion]) -> set[str]:
        """Cells whose lab label was set after the last classifier version (all labelled cells before the first)."""
        since = previous[-1].created_at if previous else None
        return {c.image_id for c in await self.store.list_labels(label_set) if since is None or c.updated_at > since}

    @staticmethod
    def _agreement_on_new_labels(
        label_set: str,
        lab_labels: dict[str, str],
        project_of: dict[str, str],
        vectors: list[ResultVector],
        new_ids: set[str],
        previous: list[ClassifierVersion],
    ) -> dict[str, Any]:
        """How often the predictions shown before this fit matched the labels added since the last fit.

        Those cells were not in the previous support set, so this is a held-out score of the
        previous classifier: one point of the label set's learning curve, free of charge.
        """
        predicted = {v.image_id: v.labels.get(label_set) for v in vectors}
        scored = [i for i in sorted(new_ids) if i in lab_labels and predicted.get(i)]
        if not scored:
            return {"new_labels": 0, "agreement_on_new_labels": None, "new_labels_by_project": {}}
        by_project: dict[str, list[int]] = {}  # project id: [new labels, of them agreeing]
        for i in scored:
            tally = by_project.setdefault(project_of[i], [0, 0])
            tally[0] += 1
            tally[1] += int(lab_labels[i] == predicted[i])
        agree = sum(agreeing for _, agreeing in by_project.values())
        return {
            "new_labels": len(scored),
            "agreement_on_new_labels": agree / len(scored),
            "new_labels_by_project": by_project,
            "previous_support_size": previous[-1].support_size if previous else None,
        }
