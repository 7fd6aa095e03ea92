"""Label-set classifiers: StandardScaler + linear SVM (one-vs-rest) with calibrated probabilities.

One embedding serves many label sets (cell type, each morphological attribute, classes a
lab defines later); each label set gets its own light classifier fitted on the
embeddings of its labelled support set. The review loop refits often, so the
classifier is stored as plain arrays (no pickle) and fitted with liblinear's
LinearSVC, which is far faster than `SVC(kernel="linear")` at thousands of cells.
Probabilities come from Platt scaling fitted on cross-validated decision values
(`CalibratedClassifierCV(..., ensemble=False)`), as scikit-learn recommends since
`SVC(probability=True)` was deprecated.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC


class NotEnoughLabelsError(ValueError):
    """A label set needs at least two classes with labelled cells to get a classifier."""


@dataclass
class LabelSetClassifier:
    """`fit` / `predict` / `predict_proba` over embeddings, scikit-learn style."""

    C: float = 0.1
    calibration_folds: int = 3
    max_iter: int = 2000

    def fit(self, embeddings: np.ndarray, labels: np.ndarray | list[str]) -> LabelSetClassifier:
        labels = np.asarray(labels)
        classes, counts = np.unique(labels, return_counts=True)
        if len(classes) < 2:
            raise NotEnoughLabelsError(
                f"A label set needs labelled cells of at least two classes; got {len(classes)} ({', '.join(classes)})."
            )
        x = np.asarray(embeddings, np.float32)
        scaler = StandardScaler().fit(x)
        xs = scaler.transform(x)
        svm = LinearSVC(C=self.C, dual="auto", max_iter=self.max_iter)
        folds = int(min(self.calibration_folds, counts.min()))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            if folds >= 2:
                calibrated = CalibratedClassifierCV(svm, method="sigmoid", cv=folds, ensemble=False).fit(xs, labels)
                inner = calibrated.calibrated_classifiers_[0]
                fitted = inner.estimator
                slopes = np.array([c.a_ for c in inner.calibrators])
                offsets = np.array([c.b_ for c in inner.calibrators])
            else:  # too few labels per class to cross-validate: uncalibrated logistic link
                fitted = svm.fit(xs, labels)
                n_outputs = 1 if len(classes) == 2 else len(classes)
                slopes, offsets = -np.ones(n_outputs), np.zeros(n_outputs)
        self.classes_ = [str(c) for c in classes]
        self.mean_ = scaler.mean_.astype(np.float32)
        self.scale_ = scaler.scale_.astype(np.float32)
        self.coef_ = fitted.coef_.astype(np.float32)
        self.intercept_ = fitted.intercept_.astype(np.float32)
        self.calibration_slope_ = slopes.astype(np.float32)
        self.calibration_offset_ = offsets.astype(np.float32)
        return self

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
