"""Scores the lab reports against: macro F1/precision/recall, per-class scores, confusion
matrices, cross-validation and label-efficiency curves on fixed embeddings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

from hemosight.ml.classifiers import LabelSetClassifier


def classification_report(
    y_true: Sequence[str] | np.ndarray, y_pred: Sequence[str] | np.ndarray, classes: Sequence[str]
) -> dict[str, Any]:
    """Macro scores, per-class scores and the confusion matrix, JSON-ready."""
    classes = list(classes)
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=classes, zero_division=0)
    return {
        "n": len(y_true),
        "accuracy": float(np.mean(np.asarray(y_true) == np.asarray(y_pred))),
        "macro_f1": float(np.mean(f1)),
        "macro_precision": float(np.mean(precision)),
        "macro_recall": float(np.mean(recall)),
        "per_class": {
            c: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for c, p, r, f, s in zip(classes, precision, recall, f1, support, strict=False)
        },
        "classes": classes,
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=classes).tolist(),
    }


def macro_f1(y_true: Sequence[str] | np.ndarray, y_pred: Sequence[str] | np.ndarray) -> float:
    return float(f1_score(y_true, y_pred, average="macro", zero_division=0))


def cross_validate(
    embeddings: np.ndarray, labels: Sequence[str] | np.ndarray, folds: int = 5, seed: int = 0, C: float = 0.1
) -> dict[str, Any]:
    """Stratified k-fold macro F1 of the label-set classifier on fixed embeddings: mean ± std."""
    y = np.asarray(labels)
    scores = []
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(embeddings, y):
        clf = LabelSetClassifier(C=C).fit(embeddings[train], y[train])
        scores.append(macro_f1(y[test], clf.predict(embeddings[test])))
    return {"folds": folds, "macro_f1": scores, "mean": float(np.mean(scores)), "std": float(np.std(scores))}


def label_curve(
    embeddings: np.ndarray,
    labels: Sequence[str] | np.ndarray,
    fractions: Sequence[float],
    folds: int = 5,
    seed: int = 0,
) -> dict[str, Any]:
    """Macro F1 against support-set size (HemoSight paper, Fig. 1).

    For each fold the test part is fixed; the support set is a stratified fraction of
    the training part, so every point is measured on cells no classifier saw.
    """
    y = np.asarray(labels)
    rng = np.random.default_rng(seed)
    points: dict[float, list[float]] = {f: [] for f in fractions}
    sizes: dict[float, int] = {}
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(embeddings, y):
        for fraction in fractions:
            support = _stratified_fraction(train, y, fraction, rng)
            sizes[fraction] = len(support)
            clf = LabelSetClassifier().fit(embeddings[support], y[support])
            points[fraction].append(macro_f1(y[test], clf.predict(embeddings[test])))
    return {
        "points": [
            {
                "fraction": f,
                "support_size": sizes[f],
                "macro_f1_mean": float(np.mean(v)),
                "macro_f1_std": float(np.std(v)),
            }
            for f, v in points.items()
        ]
    }


def _stratified_fraction(rows: np.ndarray, y: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    chosen = []
    for c in np.unique(y[rows]):
        members = rows[y[rows] == c]
        take = max(2, round(len(members) * fraction))
        chosen.append(rng.permutation(members)[:take])
    return np.sort(np.concatenate(chosen))
