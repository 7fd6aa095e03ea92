"""Assemble a model bundle from a trained encoder and labelled cells.

Used by `hemosight train`, by scripts/train_default.py for the shipped model, and by
the tests to make small real bundles (an untrained encoder at a tiny resolution).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from hemosight.ml.bundle import PBC_CREDIT, ModelBundle, References, SupportSet
from hemosight.ml.classifiers import LabelSetClassifier, NotEnoughLabelsError, stable_folds
from hemosight.ml.compact import round_rows
from hemosight.ml.imageio import encode_jpeg
from hemosight.ml.landscape import Landscape
from hemosight.ml.preprocessing import Preprocessing, resize
from hemosight.ml.quality import gate_for

THUMBNAIL_SIZE = 64


def thumbnail(image: np.ndarray, size: int = THUMBNAIL_SIZE) -> bytes:
    return encode_jpeg(resize(image, size), quality=80)


#: Regularisation strengths a bundle build may choose from per label set (`choose_regularisation`).
C_GRID = (0.05, 0.1, 0.2, 0.4)


def choose_regularisation(
    embeddings: np.ndarray, labels: np.ndarray, keys: Sequence[str], grid: Sequence[float] = C_GRID, folds: int = 5
) -> float:
    """The C of `grid` with the best cross-validated macro F1 on these labelled cells (folds by key hash).

    Only the cells a bundle is fitted on are looked at, never its held-out split: one C for every label set
    over- or under-regularises some of them (a hard six-class attribute wants a smaller C than cell type).
    Ties keep the default recipe's C.
    """
    from sklearn.metrics import f1_score

    fold_of = stable_folds(keys, folds)
    key_array = np.asarray(keys)
    default = LabelSetClassifier().C
    scores = {}
    for C in grid:
        predicted = np.empty(len(labels), dtype=labels.dtype)
        for fold in range(folds):
            test, train = fold_of == fold, fold_of != fold
            if len(np.unique(labels[train])) < 2 or not test.any():
                continue
            clf = LabelSetClassifier(C=C).fit(embeddings[train], labels[train], list(key_array[train]))
            predicted[test] = clf.predict(embeddings[test])
        scores[C] = float(f1_score(labels, predicted, average="macro", zero_division=0))
    return max(grid, key=lambda C: (round(scores[C], 6), default == C))


def fit_classifiers(
    embeddings: np.ndarray,
    label_sets: Mapping[str, Sequence[str]],
    ids: Sequence[str] | None = None,
    choose_c: bool = False,
) -> dict[str, LabelSetClassifier]:
    """One classifier per label set, fitted on the rows labelled in that set; sets with too few labels are skipped.

    Embeddings are rounded first, as the bundle's support member stores them (hemosight.ml.compact),
    and `ids` key the calibration folds: the worker's refit with no lab labels then fits the very
    same problem (with the classifier's C, `recipe_of`) and reproduces these classifiers exactly.
    `choose_c`: each label set's C by cross-validation on its own cells (`choose_regularisation`).
    """
    stored = round_rows(embeddings)
    keys = [str(i) for i in (ids if ids is not None else range(len(stored)))]
    classifiers = {}
    for name, values in label_sets.items():
        rows = np.array([i for i, v in enumerate(values) if v], dtype=np.int64)
        if len(rows) == 0:
            continue
        x, y, row_keys = stored[rows], np.asarray(values)[rows], [keys[i] for i in rows]
        try:
            C = choose_regularisation(x, y, row_keys) if choose_c else LabelSetClassifier().C
            classifiers[name] = LabelSetClassifier(C=C).fit(x, y, row_keys)
        except NotEnoughLabelsError:
            continue
    return classifiers


def support_of(
    embeddings: np.ndarray, label_sets: Mapping[str, Sequence[str]], ids: Sequence[str]
) -> tuple[np.ndarray, SupportSet]:
    """The rows labelled in some label set, as the bundle's support member (rounded as it stores them)."""
    rows = np.array([i for i in range(len(ids)) if any(values[i] for values in label_sets.values())], np.int64)
    support = SupportSet(
        ids=[str(ids[i]) for i in rows],
        labels={name: [values[i] for i in rows] for name, values in label_sets.items()},
        embeddings=round_rows(np.asarray(embeddings)[rows]),
    )
    return rows, support


def assemble_bundle(
    *,
    version: str,
    preprocessing: Preprocessing,
    encoder_weights: list[np.ndarray],
    embeddings: np.ndarray,
    label_sets: Mapping[str, Sequence[str]],
    ids: Sequence[str],
    prepared_images: np.ndarray,
    reference_rows: np.ndarray,
    default_label_set: str = "cell_type",
    metrics: dict | None = None,
    credits: list[str] | None = None,
    landscape_iterations: int = 1000,
    architecture: str = "EfficientNetV2-B0",
) -> ModelBundle:
    """Fit label-set classifiers on all labelled rows and the landscape on the reference rows.

    When the labelled rows are more than the reference rows the bundle carries them as its
    support member, so refits in the worker start from the same cells.
    """
    classifiers = fit_classifiers(embeddings, label_sets, ids)
    if default_label_set not in classifiers:
        raise NotEnoughLabelsError(f"No classifier could be fitted for the default label set {default_label_set!r}.")
    reference_embeddings = embeddings[reference_rows]
    landscape = Landscape(n_iter=landscape_iterations).fit(reference_embeddings)
    references = References(
        ids=[str(ids[i]) for i in reference_rows],
        labels={name: [values[i] for i in reference_rows] for name, values in label_sets.items()},
        embeddings=reference_embeddings.astype(np.float16),
        coordinates=landscape.coordinates_,
        thumbnails=[thumbnail(prepared_images[i]) for i in reference_rows],
    )
    _, support = support_of(embeddings, label_sets, ids)
    bundle = ModelBundle(
        version=version,
        preprocessing=preprocessing,
        encoder_weights=[np.asarray(w) for w in encoder_weights],
        classifiers=classifiers,
        default_label_set=default_label_set,
        references=references,
        metrics=metrics or {},
        credits=credits or [PBC_CREDIT],
        architecture=architecture,
        support=support,
    )
    bundle.share_reference_embeddings()
    # The usable-cell check's thresholds, the distance calibrated on these reference cells (as stored).
    bundle.quality = gate_for(bundle.references.embeddings, None).to_dict()
    return bundle


def stratified_reference_rows(labels: Sequence[str], per_class: int, seed: int = 0) -> np.ndarray:
    """Up to `per_class` labelled rows of each class: the bundle's reference cells."""
    rng = np.random.default_rng(seed)
    values = np.asarray(labels)
    rows = [rng.permutation(np.flatnonzero(values == c))[:per_class] for c in sorted(set(labels)) if c]
    return np.sort(np.concatenate(rows))


def small_bundle(
    images: Sequence[np.ndarray],
    label_sets: Mapping[str, Sequence[str]],
    ids: Sequence[str],
    version: str = "test-0",
    input_size: int = 32,
    seed: int = 0,
    architecture: str = "EfficientNetV2-B0",
) -> ModelBundle:
    """A real bundle from an untrained encoder at a tiny resolution: fast enough for tests."""
    import keras

    from hemosight.ml.encoder import build_encoder

    keras.utils.set_random_seed(seed)
    preprocessing = Preprocessing(input_size=input_size)
    encoder = build_encoder(input_size, architecture=architecture)
    prepared = np.stack([preprocessing.prepare(im) for im in images])
    embeddings = np.asarray(encoder(prepared.astype(np.float32), training=False))
    return assemble_bundle(
        version=version,
        preprocessing=preprocessing,
        encoder_weights=encoder.get_weights(),
        embeddings=embeddings,
        label_sets=label_sets,
        ids=ids,
        prepared_images=prepared,
        reference_rows=np.arange(len(images)),
        landscape_iterations=250,
        architecture=architecture,
    )
