"""Label-set classifiers: StandardScaler + linear SVM (one-vs-rest) with calibrated probabilities.

One embedding serves many label sets (cell type, each morphological attribute, classes a
lab defines later); each label set gets its own light classifier fitted on the
embeddings of its labelled support set. The SVM is liblinear's `LinearSVC` in the
primal (much faster than `SVC(kernel="linear")` at thousands of cells); the classifier
is stored as plain arrays (no pickle). Probabilities come from Platt scaling fitted on
cross-validated decision values and normalised across classes, as
`CalibratedClassifierCV(..., method="sigmoid", ensemble=False)` does (scikit-learn's
recommended replacement for the deprecated `SVC(probability=True)`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from models.calibration import fit_platt


class NotEnoughLabelsError(ValueError):
    """A label set needs at least two classes with labelled cells to get a classifier."""


@dataclass
class LabelSetClassifier:
    """`fit` / `predict` / `predict_proba` over embeddings, scikit-learn style."""

    C: float = 0.1
    calibration_folds: int = 3
    max_iter: int = 1000
    tol: float = 1e-3

    def fit(self, embeddings: np.ndarray, labels: np.ndarray | list[str]) -> LabelSetClassifier:
        labels = np.asarray(labels)
        classes, counts = np.unique(labels, return_counts=True)
        if len(classes) < 2:
            raise NotEnoughLabelsError(
                f"A label set needs labelled cells of at least two classes; got {len(classes)} ({', '.join(classes)})."
            )
        x = np.asarray(embeddings, np.float32)
        scaler = StandardScaler().fit(x)
        xs = scaler.transform(x).astype(np.float32)
        targets = self._targets(labels, classes)
        coef, intercept = self._fit_svm(xs, labels)
        folds = int(min(self.calibration_folds, counts.min()))
        if folds >= 2:
            scores = np.empty_like(targets)
            for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(xs, labels):
                if len(np.unique(labels[train])) < len(classes):
                    raise NotEnoughLabelsError("Every class needs labelled cells in each calibration fold.")
                w, b = self._fit_svm(xs[train], labels[train])
                scores[test] = xs[test] @ w.T + b
            calibration = [fit_platt(scores[:, j], targets[:, j] > 0) for j in range(targets.shape[1])]
            slopes = np.array([a for a, _ in calibration])
            offsets = np.array([b for _, b in calibration])
        else:  # too few labels per class to cross-validate: an uncalibrated logistic link
            slopes, offsets = -np.ones(targets.shape[1]), np.zeros(targets.shape[1])
        self.classes_ = [str(c) for c in classes]
        self.mean_ = scaler.mean_.astype(np.float32)
        self.scale_ = scaler.scale_.astype(np.float32)
        self.coef_ = coef
        self.intercept_ = intercept
        self.calibration_slope_ = slopes.astype(np.float32)
        self.calibration_offset_ = offsets.astype(np.float32)
        return self

    def _fit_svm(self, x: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            svm = LinearSVC(C=self.C, dual=False, tol=self.tol, max_iter=self.max_iter).fit(x, labels)
        return svm.coef_.astype(np.float32), svm.intercept_.astype(np.float32)

    @staticmethod
    def _targets(labels: np.ndarray, classes: np.ndarray) -> np.ndarray:
        """±1 targets per one-vs-rest problem; a two-class set has one problem (the second class positive)."""
        if len(classes) == 2:
            return np.where(labels == classes[1], 1.0, -1.0).astype(np.float32)[:, None]
        return np.where(labels[:, None] == classes[None, :], 1.0, -1.0).astype(np.float32)

    def decision_function(self, embeddings: np.ndarray) -> np.ndarray:
        xs = (np.asarray(embeddings, np.float32) - self.mean_) / self.scale_
        return xs @ self.coef_.T + self.intercept_

    def predict_proba(self, embeddings: np.ndarray) -> np.ndarray:
        """Per-class probabilities (rows sum to 1), as scikit-learn's one-vs-rest calibration."""
        scores = self.decision_function(embeddings)
        sigmoid = 1.0 / (1.0 + np.exp(np.clip(self.calibration_slope_ * scores + self.calibration_offset_, -50, 50)))
        if len(self.classes_) == 2:
            return np.column_stack([1.0 - sigmoid[:, 0], sigmoid[:, 0]])
        total = sigmoid.sum(axis=1, keepdims=True)
        uniform = np.full_like(sigmoid, 1.0 / sigmoid.shape[1])
        return np.where(total > 0, sigmoid / np.where(total > 0, total, 1.0), uniform)

    def predict(self, embeddings: np.ndarray) -> np.ndarray:
        return np.asarray(self.classes_)[self.predict_proba(embeddings).argmax(axis=1)]

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {
            f"{prefix}/classes": np.asarray(self.classes_),
            f"{prefix}/mean": self.mean_,
            f"{prefix}/scale": self.scale_,
            f"{prefix}/coef": self.coef_,
            f"{prefix}/intercept": self.intercept_,
            f"{prefix}/calibration_slope": self.calibration_slope_,
            f"{prefix}/calibration_offset": self.calibration_offset_,
            f"{prefix}/C": np.asarray(self.C),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str) -> LabelSetClassifier:
        model = cls(C=float(arrays[f"{prefix}/C"]))
        model.classes_ = [str(c) for c in arrays[f"{prefix}/classes"]]
        for name in ("mean", "scale", "coef", "intercept", "calibration_slope", "calibration_offset"):
            setattr(model, f"{name}_", np.asarray(arrays[f"{prefix}/{name}"], np.float32))
        return model
