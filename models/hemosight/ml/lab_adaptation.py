"""Adapting a model bundle to one lab's cells: the steps behind "Adapt to this lab" (issue 14), as one function.

`adapt_bundle` takes the active bundle, the lab's decoded cells and the labels the lab gave
(None for unlabelled cells) and returns a NEW bundle, plus the metrics an admin needs to decide
whether to activate it. Nothing is registered here: the worker (hemosight.worker.adapt) saves
the bundle under a temporary name and registers it in one step, so a failure leaves nothing behind.

The steps, each optional and each measured in benchmarks/RESULTS.md ("New lab"):
1. colour and scale standardisation (`adaptation.LabStandardiser`), built into the new bundle's
   preprocessing so every later upload of the lab gets the same map;
2. a short self-supervised fine-tune of the encoder on the lab's cells (`adaptation.finetune_encoder`),
   bounded in minutes and resumable from its checkpoint folder; the reference cells are then
   re-embedded from their thumbnails and the bundle's classifiers refitted on them;
3. the head of the label set chosen by cross-validation on the lab's labelled cells: the bundle's
   classifier (scored as it is: it never saw the lab's cells) or a head fitted on the lab's
   labels alone (`fit_lab_classifier(method="lab")`, scored by stratified k-fold). The lab-only
   head wins with enough labels on a lab the references do not transfer to, and loses where they
   do (RESULTS.md), so the lab's own labels decide. They decide on the standardisation too: it is
   dropped when the model reads the lab's labelled cells worse with it (it hurt some labs, RESULTS.md).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from hemosight.ml.adapt_options import FOLDS, MIN_CELLS, MIN_LABELS, AdaptOptions, Progress
from hemosight.ml.adaptation import LabStandardiser, finetune_encoder, reference_images
from hemosight.ml.bundle import ModelBundle, SupportSet
from hemosight.ml.classifiers import LabelSetClassifier
from hemosight.ml.errors import InputError

__all__ = ["MIN_CELLS", "MIN_LABELS", "AdaptOptions", "Adapted", "adapt_bundle"]


@dataclass
class Adapted:
    bundle: ModelBundle
    metrics: dict[str, Any] = field(default_factory=dict)
    #: The lab's cells in the base model's embedding and in the adapted one (benchmarks score both).
    base_embeddings: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32), repr=False)
    embeddings: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32), repr=False)


def labels_usable(labels: Sequence[str | None]) -> tuple[int, int]:
    """(labelled cells, classes among them)."""
    given = [label for label in labels if label]
    return len(given), len(set(given))


def adapt_bundle(
    base: ModelBundle,
    images: Sequence[np.ndarray],
    labels: Sequence[str | None],
    options: AdaptOptions,
    work_dir: Path,
    version: str | None = None,
    progress: Progress | None = None,
    held_out: tuple[Sequence[np.ndarray], Sequence[str]] | None = None,
) -> Adapted:
    """A new bundle adapted to the lab's `images` (decoded RGB), with its metrics beside `base`'s.

    `labels[i]` is the lab's label of `images[i]` in the label set (None: unlabelled). `work_dir`
    keeps the fine-tune's checkpoints: calling again with the same folder resumes. `held_out`
    (images, labels) of the training lab, when given, measures how much of what the model knew
    it keeps; the bundle itself carries no held-out cells.
    """
    options.check()
    report = progress or (lambda phase, fraction: None)
    if len(images) != len(labels):
        raise InputError(f"{len(images)} images but {len(labels)} labels.")
    if len(images) < MIN_CELLS:
        raise InputError(f"Adapting needs at least {MIN_CELLS} of the lab's cells; {len(images)} given.")
    label_set = options.label_set or base.default_label_set
    if label_set not in base.classifiers:
        raise InputError(f"The model has no label set {label_set!r}; it has {', '.join(base.classifiers)}.")
    labelled, classes = labels_usable(labels)
    if options.head == "lab" and (labelled < MIN_LABELS or classes < 2):
        raise InputError(
            f"A lab head needs at least {MIN_LABELS} labelled cells of two or more classes in {label_set!r}; the "
            f"lab has {labelled} of {classes} class(es). Label more cells or use head 'auto' or 'bundle'."
        )
    started = time.perf_counter()
    seconds: dict[str, float] = {}

    def timed(name: str, tick: float) -> None:
        seconds[name] = round(time.perf_counter() - tick, 2)

    # 1. the lab as the active model sees it
    tick = time.perf_counter()
    report("embedding", 0.05)
    base_prepared = np.stack([base.preprocessing.prepare(im) for im in images])
    base_embeddings = base.embed_prepared(base_prepared)
    timed("embed", tick)

    # 2. colour and scale standardisation to the references' style
    tick = time.perf_counter()
    report("standardising", 0.15)
    references = reference_images(base.references.thumbnails, seed=options.seed)
    reference_prepared = [base.preprocessing.prepare(im) for im in references]
    preprocessing = base.preprocessing
    standardiser = LabStandardiser()
    if options.colour or options.scale:
        standardiser = LabStandardiser.estimate(
            list(base_prepared), reference_prepared, colour=options.colour, scale=options.scale
        )
        preprocessing = standardiser.applied_to(base.preprocessing)
    timed("standardise", tick)
    bundle = dataclasses.replace(
        base,
        version=version or f"{base.version}-lab-{datetime.now(UTC):%Y%m%d%H%M%S}",
        preprocessing=preprocessing,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        encoder_backend=base.encoder_backend,
    )
    prepared = np.stack([preprocessing.prepare(im) for im in images]) if preprocessing != base.preprocessing else None

    # 3. a short self-supervised fine-tune of the encoder on the lab's cells
    fine_tune: dict[str, Any] = {"done": False}
    if options.fine_tune_minutes > 0:
        tick = time.perf_counter()
        report("fine-tuning", 0.25)
        lab_prepared = prepared if prepared is not None else base_prepared
        weights = finetune_encoder(
            base.encoder_weights,
            base.architecture,
            lab_prepared,
            np.stack(reference_prepared),
            Path(work_dir) / "finetune",
            steps=options.fine_tune_steps,
            batch_images=options.fine_tune_batch,
            max_minutes=options.fine_tune_minutes,
            seed=options.seed,
        )
        timed("fine_tune", tick)
        fine_tune = {"done": True, "minutes_budget": options.fine_tune_minutes, "steps": options.fine_tune_steps}
        tick = time.perf_counter()
        report("re-embedding references", 0.6)
        bundle = with_encoder(bundle, weights)
        timed("re_embed_references", tick)

    # 4. the lab in the adapted model, and the head chosen on the lab's labelled cells
    tick = time.perf_counter()
    report("embedding", 0.7)
    if prepared is None and not fine_tune["done"]:
        embeddings = base_embeddings
    else:
        embeddings = bundle.embed_prepared(prepared if prepared is not None else base_prepared)
    timed("embed_adapted", tick)
    tick = time.perf_counter()
    report("choosing the head", 0.85)
    rows = np.asarray([i for i, label in enumerate(labels) if label], np.int64)
    y = np.asarray([labels[i] for i in rows], dtype=object).astype(str)
    keys = [f"lab-cell-{i}" for i in rows]
    lab_metrics: dict[str, Any]
    head = "bundle"
    enough = labelled >= MIN_LABELS and classes >= 2
    kept: dict[str, Any] = {"standardisation": prepared is not None}
    if enough and prepared is not None and not fine_tune["done"]:
        # keep the standardisation only if the model reads the lab's labelled cells no worse with it
        with_it = score(bundle.classifiers[label_set].predict(embeddings[rows]), y)
        without = score(base.classifiers[label_set].predict(base_embeddings[rows]), y)
        if with_it["macro_f1"] < without["macro_f1"]:
            bundle, embeddings = dataclasses.replace(bundle, preprocessing=base.preprocessing), base_embeddings
            standardiser = LabStandardiser()
            kept = {"standardisation": False, "standardised": with_it, "not_standardised": without}
    if not enough:
        lab_metrics = {
            "not_measured": f"The lab has {labelled} labelled cell(s) of {classes} class(es) in {label_set!r}; "
            f"metrics on its own cells need at least {MIN_LABELS} of two or more classes."
        }
    else:
        old = score(base.classifiers[label_set].predict(base_embeddings[rows]), y)
        candidates = {
            "bundle": score(bundle.classifiers[label_set].predict(embeddings[rows]), y),
            "lab": cross_validated(embeddings[rows], y, options.seed),
        }
        if options.head == "auto":
            head = max(("bundle", "lab"), key=lambda name: (candidates[name]["macro_f1"], name == "bundle"))
        else:
            head = options.head
        lab_metrics = {
            "cells": len(rows),
            "classes": sorted(set(y.tolist())),
            "old": {"version": base.version, **old},
            "new": {"version": bundle.version, **candidates[head]},
            "candidates": candidates,
        }
    if head == "lab":
        bundle = with_lab_head(bundle, label_set, embeddings[rows], y, keys)
    timed("choose_head", tick)

    held: dict[str, Any] = {"not_measured": "The model bundle carries no held-out cells of its training lab."}
    if held_out is not None:
        report("checking held-out cells", 0.92)
        held = held_out_retention(base, bundle, held_out, label_set)
    seconds["total"] = round(time.perf_counter() - started, 2)
    metrics = {
        **base.metrics,
        "adaptation": {
            "base_version": base.version,
            "label_set": label_set,
            "cells": len(images),
            "labelled_cells": labelled,
            "head": head,
            "colour": options.colour,
            "scale": options.scale,
            "zoom": round(float(standardiser.zoom_factor), 4),
            "fine_tune": fine_tune,
            "kept": kept,
            "seconds": seconds,
        },
        "lab": lab_metrics,
        "held_out_retention": held,
    }
    bundle.metrics = metrics
    report("saving", 0.95)
    return Adapted(bundle, metrics, base_embeddings, embeddings)


def score(predicted: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Accuracy and macro F1 over the lab's own classes (a class the model predicts but the lab lacks adds nothing)."""
    from sklearn.metrics import f1_score

    classes = sorted(set(truth.tolist()))
    return {
        "accuracy": round(float(np.mean(predicted == truth)), 4),
        "macro_f1": round(float(f1_score(truth, predicted, labels=classes, average="macro", zero_division=0)), 4),
    }


def cross_validated(embeddings: np.ndarray, labels: np.ndarray, seed: int = 0) -> dict[str, float]:
    """A lab-only head's accuracy and macro F1 on the lab's labelled cells, each predicted by a head that did not
    see it (stratified k-fold; a fold whose training part covers one class predicts that class)."""
    import warnings

    from sklearn.model_selection import StratifiedKFold

    counts = np.unique(labels, return_counts=True)[1]
    folds = int(max(2, min(FOLDS, counts.max(initial=2))))
    predicted = np.empty(len(labels), dtype=object)
    splitter = StratifiedKFold(n_splits=min(folds, len(labels)), shuffle=True, random_state=seed)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a class with fewer cells than folds: fine, it is scored
        for train, test in splitter.split(embeddings, labels):
            if len(set(labels[train].tolist())) < 2:
                predicted[test] = labels[train][0]
                continue
            head = LabelSetClassifier().fit(embeddings[train], labels[train])
            predicted[test] = head.predict(embeddings[test])
    return score(predicted.astype(str), labels)


def with_lab_head(
    bundle: ModelBundle, label_set: str, embeddings: np.ndarray, labels: np.ndarray, keys: list[str]
) -> ModelBundle:
    """The bundle with `label_set`'s classifier fitted on the lab's labelled cells alone.

    The lab's cells become the label set's support set (the reference cells stay the support of the
    other label sets), so a worker's later refit starts from the lab's cells, not the references.
    """
    head = LabelSetClassifier().fit(embeddings, labels, keys)
    support = bundle.support_set()
    blank = [""] * len(keys)
    labels_of = {
        name: ([*values, *blank] if name != label_set else [""] * len(values) + list(map(str, labels)))
        for name, values in support.labels.items()
    }
    labels_of.setdefault(label_set, [""] * len(support) + list(map(str, labels)))
    merged = SupportSet(
        ids=[*support.ids, *keys],
        labels=labels_of,
        embeddings=np.concatenate([np.asarray(support.embeddings, np.float32), embeddings.astype(np.float32)]),
    )
    return dataclasses.replace(bundle, classifiers={**bundle.classifiers, label_set: head}, support=merged)


def with_encoder(bundle: ModelBundle, weights: list[np.ndarray]) -> ModelBundle:
    """The bundle with fine-tuned encoder weights: references re-embedded from their thumbnails, classifiers refitted.

    The OpenVINO encoders of the old weights are dropped (the new bundle runs TensorFlow until
    `hemosight export-runtime` adds them); a support set larger than the references cannot be
    re-embedded (no pixels), so the references become the support set; the usable-cell check's
    thresholds are recomputed from the new embedding.
    """
    from hemosight.ml.imageio import decode_image

    fresh = dataclasses.replace(
        bundle,
        encoder_weights=[np.asarray(w, np.float32) for w in weights],
        runtime_members={},
        runtime={},
        support=None,
        quality={},
        neighbour_index=None,
        encoder_backend="tensorflow",
    )
    plain = dataclasses.replace(bundle.preprocessing, lab_zoom=1.0, lab_colour=None)  # references: training style
    prepared = np.stack([plain.prepare(decode_image(t)) for t in bundle.references.thumbnails])
    embeddings = fresh.embed_prepared(prepared)
    references = dataclasses.replace(bundle.references, embeddings=embeddings)
    classifiers = {}
    for name, classifier in bundle.classifiers.items():
        values = np.asarray(references.labels.get(name, []), dtype=object)
        rows = np.flatnonzero(values != "") if len(values) else np.zeros(0, np.int64)
        if len(set(values[rows].tolist())) < 2:
            classifiers[name] = classifier  # nothing to refit it on: kept (its embedding moved, see metrics)
            continue
        classifiers[name] = LabelSetClassifier().fit(
            embeddings[rows], values[rows].astype(str), [references.ids[i] for i in rows]
        )
    return dataclasses.replace(fresh, references=references, classifiers=classifiers)


def held_out_retention(
    base: ModelBundle, adapted: ModelBundle, held_out: tuple[Sequence[np.ndarray], Sequence[str]], label_set: str
) -> dict[str, Any]:
    """Macro F1 of the base and the adapted bundle on the training lab's held-out cells (what the model keeps).

    The adapted bundle's preprocessing carries the lab's standardisation, which is meant for the
    lab's images, so the training lab's cells go through the base preprocessing in both."""
    images, labels = held_out
    y = np.asarray(labels, dtype=object).astype(str)
    prepared = np.stack([base.preprocessing.prepare(im) for im in images])
    before = score(base.classifiers[label_set].predict(base.embed_prepared(prepared)), y)
    after = score(adapted.classifiers[label_set].predict(adapted.embed_prepared(prepared)), y)
    change = round(after["macro_f1"] - before["macro_f1"], 4)
    return {"cells": len(y), "base": before, "adapted": after, "macro_f1_change": change}
