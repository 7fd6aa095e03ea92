"""Label-set classifiers: StandardScaler + linear SVM (one-vs-rest) with calibrated probabilities.

One embedding serves many label sets (cell type, each morphological attribute, classes a
lab defines later); each label set gets its own light classifier fitted on the
embeddings of its labelled support set, refitted within seconds whenever the lab labels
cells. The SVM is the L2-regularised squared-hinge linear SVM of liblinear's `LinearSVC`
(primal, bias as a regularised feature), solved by the finite Newton method of Keerthi &
DeCoste (2005) on the first `components` principal components of the standardised
embedding: the embedding has far fewer informative directions than its 1280
dimensions, the Gram matrix of the support set is computed once and shared by every
class and every calibration fold, and each Newton step is a small linear solve. That
makes a refit on 16,000 cells take seconds instead of a minute, with the same macro F1
(benchmarks/RESULTS.md). The classifier is stored as plain arrays (no pickle), with the
projection folded into the coefficients. Probabilities come from Platt scaling fitted on
cross-validated decision values and normalised across classes, as
`CalibratedClassifierCV(..., method="sigmoid", ensemble=False)` does (scikit-learn's
recommended replacement for the deprecated `SVC(probability=True)`).

Class balance: a support set's class frequencies are those of whoever labelled it, not of
the lab's next slide, and calibrated probabilities inherit them, so rare classes (a
basophil, a vacuolated cytoplasm) lose close calls to common ones. With `class_balance`
the probabilities are divided by the support set's class frequencies raised to a power
(0, ½ or 1) chosen on the same cross-validated decision values the calibration uses —
the power that gives the best macro F1 there, so no labels beyond the support set are
looked at — and renormalised.

Temperature: one-vs-rest Platt probabilities normalised across classes are not calibrated as a
whole (the normalisation pulls confident cells down, class balance pushes others up), so a
final temperature T, p ∝ p^(1/T), is fitted by log loss on the same cross-validated
probabilities, per label set. Classifiers stored before it have T = 1 (the old probabilities).

Stable folds: a cell's calibration fold is a hash of its key (a reference id or an image id),
not a shuffle of the rows, so adding a few lab labels leaves every other cell in its fold.
The fit keeps each support cell's cross-validated verdict (`cv_correct_`), which lets the
worker compare a refit with the classifier in use on held-out verdicts (`compare_on_support`)
and keep the refit only when it is not worse beyond chance.

Fast refits: most of a fit on 16,000 cells is spent before any label is looked at (standardising,
the principal axes, projecting every cell, the Gram matrix). That part is a `Basis`; a worker computes
it once on the bundle's support cells of a label set, keeps it in memory and refits on
`basis.extend(lab cells)`, so the lab's cells are standardised and projected like the bundle's (a fit
without a basis computes it from all its cells, as the bundle builder does). A refit also starts its
Newton iterations from the classifier in use when that one lives in the same basis (`start`): the
optimum moves little with a few new labels, so one or two steps reach it. Neither changes the optimum
the fit converges to; only the time it takes.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.linalg
from sklearn.metrics import f1_score
from sklearn.preprocessing import StandardScaler
from sklearn.utils.extmath import randomized_svd
from threadpoolctl import threadpool_limits

from hemosight.ml.calibration import fit_platt
from hemosight.ml.errors import HemosightError


class NotEnoughLabelsError(HemosightError, ValueError):
    """A label set needs at least two classes with labelled cells to get a classifier."""


@dataclass
class Basis:
    """The label-free part of a fit on some support cells (module docstring, "Fast refits")."""

    scaler: StandardScaler
    #: Rows: principal axes of the standardised cells (orthonormal); None: every dimension kept.
    projection: np.ndarray | None
    #: Projected cells plus a bias column (float32), and its Gram matrix z.T @ z (float64).
    z: np.ndarray
    gram: np.ndarray

    def __len__(self) -> int:
        return len(self.z)

    def project(self, embeddings: np.ndarray) -> np.ndarray:
        """Cells in this basis: standardised, projected, with the bias column."""
        xs = self.scaler.transform(np.asarray(embeddings, np.float32)).astype(np.float32)
        projected = xs @ self.projection.T if self.projection is not None else xs
        return np.hstack([projected, np.ones((len(xs), 1), np.float32)])

    def extend(self, embeddings: np.ndarray) -> Basis:
        """This basis with more cells appended (their rows after the existing ones); standardisation and axes kept."""
        if len(embeddings) == 0:
            return self
        extra = self.project(embeddings)
        return Basis(
            self.scaler,
            self.projection,
            np.vstack([self.z, extra]),
            self.gram + (extra.T @ extra).astype(np.float64),
        )

    def weights_of(self, classifier: LabelSetClassifier) -> np.ndarray | None:
        """A fitted classifier's weights in this basis (a warm start), or None when it lives in another one."""
        coef = getattr(classifier, "coef_", None)
        if coef is None or not (
            np.array_equal(classifier.mean_, self.scaler.mean_.astype(np.float32))
            and np.array_equal(classifier.scale_, self.scaler.scale_.astype(np.float32))
        ):
            return None
        inner = coef @ self.projection.T if self.projection is not None else coef
        return np.hstack([inner, classifier.intercept_[:, None]]).astype(np.float32)


@dataclass
class LabelSetClassifier:
    """`fit` / `predict` / `predict_proba` over embeddings, scikit-learn style."""

    C: float = 0.1
    calibration_folds: int = 3
    max_iter: int = 100
    tol: float = 1e-3
    #: Principal components of the standardised embedding the SVM is fitted on (None: all dimensions).
    components: int | None = 256
    #: Choose a class-frequency correction of the probabilities by cross-validated macro F1 (module docstring).
    class_balance: bool = True

    def fit(
        self,
        embeddings: np.ndarray,
        labels: np.ndarray | list[str],
        keys: Sequence[str] | None = None,
        basis: Basis | None = None,
        start: LabelSetClassifier | None = None,
    ) -> LabelSetClassifier:
        """`keys` name the support cells (reference or image ids): they fix each cell's calibration fold.

        Without keys the row numbers are used, so fits on the same rows in the same order agree.
        `basis`: the cells' basis, already computed (`Basis.extend` of a cached one; module docstring);
        `start`: a classifier whose weights start the iterations when it lives in that basis.
        """
        # Hundreds of small solves: one BLAS thread is many times faster than a pool fighting
        # the worker's other threads for a loaded CPU.
        with threadpool_limits(1, user_api="blas"):
            return self._fit(embeddings, labels, keys, basis, start)

    def basis(self, embeddings: np.ndarray) -> Basis:
        """The label-free part of a fit on these cells (standardisation, principal axes, projection, Gram)."""
        with threadpool_limits(1, user_api="blas"):
            x = np.asarray(embeddings, np.float32)
            scaler = StandardScaler().fit(x)
            xs = scaler.transform(x).astype(np.float32)
            projection = self._projection(xs)
            z = np.hstack([xs @ projection.T if projection is not None else xs, np.ones((len(xs), 1), np.float32)])
            return Basis(scaler, projection, z, (z.T @ z).astype(np.float64))

    def _fit(
        self,
        embeddings: np.ndarray,
        labels: np.ndarray | list[str],
        keys: Sequence[str] | None,
        basis: Basis | None,
        start: LabelSetClassifier | None,
    ) -> LabelSetClassifier:
        labels = np.asarray(labels)
        keys = [str(i) for i in range(len(labels))] if keys is None else [str(k) for k in keys]
        if len(keys) != len(labels):
            raise ValueError(f"{len(keys)} keys for {len(labels)} labelled cells.")
        classes, counts = np.unique(labels, return_counts=True)
        if len(classes) < 2:
            raise NotEnoughLabelsError(
                f"A label set needs labelled cells of at least two classes; got {len(classes)} ({', '.join(classes)})."
            )
        if basis is None:
            basis = self.basis(embeddings)
        elif len(basis) != len(labels):
            raise ValueError(f"A basis of {len(basis)} cells for {len(labels)} labelled cells.")
        scaler, projection, z, gram = basis.scaler, basis.projection, basis.z, basis.gram
        targets = self._targets(labels, classes)
        #: Each calibration fold's weights in this fit's basis (not stored: warm starts of the next refit).
        self.fold_weights_: dict[tuple[int, int], np.ndarray] = {}
        warm = basis.weights_of(start) if start is not None and list(start.classes_) == list(classes) else None
        weights = self._fit_svm(z, targets, gram, warm if warm is not None and len(warm) == targets.shape[1] else None)
        folds = int(min(self.calibration_folds, counts.min()))
        cv_correct = np.zeros(len(labels), bool)
        if folds >= 2:
            scores = np.empty_like(targets)
            fold_of = stable_folds(keys, folds)
            # The same fold of the classifier in use, when it lives in this basis, is closer still (stable folds).
            previous = getattr(start, "fold_weights_", {}) if warm is not None else {}
            for fold in range(folds):
                test, train = np.flatnonzero(fold_of == fold), np.flatnonzero(fold_of != fold)
                if len(test) == 0 or len(train) == 0:
                    continue
                fold_gram = gram - (z[test].T @ z[test]).astype(np.float64)
                # Warm start from the full fit: a fold's optimum is close, so a few Newton steps reach it.
                fold_start = previous.get((folds, fold), weights)
                fold_start = fold_start if fold_start.shape == weights.shape else weights
                self.fold_weights_[(folds, fold)] = self._fit_svm(z[train], targets[train], fold_gram, fold_start)
                scores[test] = z[test] @ self.fold_weights_[(folds, fold)].T
            platt_start = (
                list(zip(start.calibration_slope_.tolist(), start.calibration_offset_.tolist(), strict=True))
                if warm is not None and start is not None
                else [None] * targets.shape[1]
            )
            calibration = [fit_platt(scores[:, j], targets[:, j] > 0, platt_start[j]) for j in range(targets.shape[1])]
            slopes = np.array([a for a, _ in calibration])
            offsets = np.array([b for _, b in calibration])
            cv_probabilities = _calibrated(scores, slopes, offsets)
            balance = self._choose_balance(cv_probabilities, labels, classes, counts)
            cv_correct = classes[(cv_probabilities * balance).argmax(axis=1)] == labels
            balanced_cv = _balanced(cv_probabilities, balance / balance.max())
            temperature = fit_temperature(balanced_cv, labels, classes)
            confidence_map = fit_confidence_map(_tempered(balanced_cv, temperature), labels, classes, keys)
        else:  # too few labels per class to cross-validate: an uncalibrated logistic link
            slopes, offsets = -np.ones(targets.shape[1]), np.zeros(targets.shape[1])
            balance = np.ones(len(classes))
            temperature = 1.0
            confidence_map = np.zeros((2, 0), np.float32)
        coef = weights[:, :-1] @ projection if projection is not None else weights[:, :-1]
        intercept = weights[:, -1]
        self.classes_: list[str] = [str(c) for c in classes]
        self.mean_ = scaler.mean_.astype(np.float32)
        self.scale_ = scaler.scale_.astype(np.float32)
        self.coef_ = coef
        self.intercept_ = intercept
        self.calibration_slope_: np.ndarray = slopes.astype(np.float32)
        self.calibration_offset_: np.ndarray = offsets.astype(np.float32)
        self.balance_ = balance.astype(np.float32)
        self.temperature_ = float(temperature)
        self.confidence_map_ = confidence_map
        self.support_keys_ = np.asarray(keys, str)
        self.support_labels_ = labels.astype(str)
        self.cv_correct_ = cv_correct if folds >= 2 else np.zeros(0, bool)
        if folds < 2:
            self.support_keys_, self.support_labels_ = np.zeros(0, str), np.zeros(0, str)
        return self

    @property
    def cv_accuracy(self) -> float | None:
        """Share of the support cells the fit predicted right when they were held out (None: too few labels)."""
        return float(self.cv_correct_.mean()) if len(self.cv_correct_) else None

    def _choose_balance(
        self, probabilities: np.ndarray, labels: np.ndarray, classes: np.ndarray, counts: np.ndarray
    ) -> np.ndarray:
        """Per-class multipliers frequency^-power, the power (0, ½, 1) best by cross-validated macro F1.

        Ties keep the smaller power: no correction unless the support set's own folds show it helps.
        """
        if not self.class_balance:
            return np.ones(len(classes))
        frequency = counts / counts.sum()
        best, best_score = np.ones(len(classes)), -1.0
        for power in (0.0, 0.5, 1.0):
            multipliers = frequency**-power
            predicted = classes[(probabilities * multipliers).argmax(axis=1)]
            score = f1_score(labels, predicted, average="macro", zero_division=0)
            if score > best_score + 1e-9:
                best, best_score = multipliers, score
        return best / best.max()

    def _projection(self, xs: np.ndarray) -> np.ndarray | None:
        """Rows: the leading principal axes of the standardised support set (None: keep every dimension).

        With no more cells than components the axes span the data exactly, so nothing a linear
        classifier could use is lost; otherwise a seeded randomised eigendecomposition of the
        covariance (dimensions × dimensions, cheap) finds them.
        """
        n, d = xs.shape
        if self.components is None or d <= self.components:
            return None
        if n <= self.components:
            _, _, vt = np.linalg.svd(xs.astype(np.float64), full_matrices=False)
            return vt.astype(np.float32)
        covariance = (xs.T @ xs).astype(np.float64)
        _, _, vt = randomized_svd(covariance, self.components, n_oversamples=16, n_iter=4, random_state=0)
        return vt.astype(np.float32)

    def _fit_svm(self, z: np.ndarray, targets: np.ndarray, gram: np.ndarray, start: np.ndarray | None) -> np.ndarray:
        """One weight row (features + bias) per one-vs-rest problem; `gram` is z.T @ z, `start` initial weights."""
        return np.stack(
            [
                _squared_hinge_svm(
                    z, targets[:, j], self.C, gram, self.max_iter, self.tol, None if start is None else start[j]
                )
                for j in range(targets.shape[1])
            ]
        ).astype(np.float32)

    @staticmethod
    def _targets(labels: np.ndarray, classes: np.ndarray) -> np.ndarray:
        """±1 targets per one-vs-rest problem; a two-class set has one problem (the second class positive)."""
        if len(classes) == 2:
            return np.where(labels == classes[1], 1.0, -1.0).astype(np.float32)[:, None]
        return np.where(labels[:, None] == classes[None, :], 1.0, -1.0).astype(np.float32)

    def decision_function(self, embeddings: np.ndarray) -> np.ndarray:
        """w·(x − mean)/scale + b, with the standardisation folded into w and b: no standardised copy of the
        cells (re-scoring 16,000 cells after a refit was mostly that copy's memory traffic)."""
        weights = self.coef_ / self.scale_
        bias = self.intercept_ - weights @ self.mean_
        return np.asarray(embeddings, np.float32) @ weights.T + bias

    def predict_proba(self, embeddings: np.ndarray) -> np.ndarray:
        """Per-class probabilities (rows sum to 1), as scikit-learn's one-vs-rest calibration."""
        scores = self.decision_function(embeddings)
        probabilities = _balanced(_calibrated(scores, self.calibration_slope_, self.calibration_offset_), self.balance_)
        return _mapped(_tempered(probabilities, self.temperature_), self.confidence_map_)

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
            f"{prefix}/balance": self.balance_,
            f"{prefix}/temperature": np.asarray(self.temperature_, np.float64),
            f"{prefix}/confidence_map": self.confidence_map_,
            f"{prefix}/support_keys": self.support_keys_,
            f"{prefix}/support_labels": self.support_labels_,
            f"{prefix}/cv_correct": self.cv_correct_,
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str) -> LabelSetClassifier:
        model = cls(C=float(arrays[f"{prefix}/C"]))
        model.classes_ = [str(c) for c in arrays[f"{prefix}/classes"]]
        for name in ("mean", "scale", "coef", "intercept", "calibration_slope", "calibration_offset"):
            setattr(model, f"{name}_", np.asarray(arrays[f"{prefix}/{name}"], np.float32))
        balance = arrays.get(f"{prefix}/balance")  # classifiers stored before class balance have none
        model.balance_ = np.asarray(np.ones(len(model.classes_)) if balance is None else balance, np.float32)
        temperature = arrays.get(f"{prefix}/temperature")  # stored before the temperature: T = 1
        model.temperature_ = 1.0 if temperature is None else float(temperature)
        # Stored before the confidence map: none (the tempered probabilities as they were).
        model.confidence_map_ = np.asarray(arrays.get(f"{prefix}/confidence_map", np.zeros((2, 0))), np.float32)
        # Classifiers stored before stable folds have no cross-validated verdicts: nothing to compare a refit with.
        model.support_keys_ = np.asarray(arrays.get(f"{prefix}/support_keys", np.zeros(0, str)), str)
        model.support_labels_ = np.asarray(arrays.get(f"{prefix}/support_labels", np.zeros(0, str)), str)
        model.cv_correct_ = np.asarray(arrays.get(f"{prefix}/cv_correct", np.zeros(0, bool)), bool)
        model.fold_weights_ = {}
        return model


def recipe_of(classifier: LabelSetClassifier | None) -> LabelSetClassifier:
    """An unfitted classifier with the recipe of `classifier` (its regularisation C), else the default recipe.

    A bundle may choose C per label set (hemosight.ml.builder.choose_regularisation); a refit that used
    another C would move predictions of cells nobody touched, so refits start from the bundle's recipe.
    """
    return LabelSetClassifier() if classifier is None else LabelSetClassifier(C=float(classifier.C))


def stable_folds(keys: Sequence[str], folds: int) -> np.ndarray:
    """Each cell's calibration fold from a hash of its key: adding or removing other cells never moves it."""
    return np.array([zlib.crc32(k.encode()) % folds for k in keys], np.int64)


@dataclass
class Comparison:
    """Held-out verdicts of the classifier in use and of a refit on the refit's support cells.

    A cell both rest on with the same label is judged by each fit's cross-validated verdict; a
    cell new to the support set (or relabelled) by the prediction of the classifier in use, which
    never saw it with that label, against the refit's cross-validated verdict.
    """

    cells: int
    current_correct: int
    candidate_correct: int
    #: Cells only the classifier in use gets right, and cells only the refit gets right.
    only_current: int
    only_candidate: int

    @property
    def candidate_not_worse(self) -> bool:
        """Not worse beyond chance: McNemar's one-sided test on the cells the two disagree on, at 5 %.

        Different folds and a few new labels move a handful of close calls either way; a refit is
        refused only when it loses clearly more of them than it wins.
        """
        excess = self.only_current - self.only_candidate
        return excess <= 0 or excess <= 1.645 * np.sqrt(self.only_current + self.only_candidate)


def compare_on_support(
    current: LabelSetClassifier, candidate: LabelSetClassifier, embeddings: np.ndarray, by_predictions: bool = False
) -> Comparison | None:
    """`embeddings`: the refit's support rows. None when the refit has no cross-validated verdicts (too few
    labels), or the classifier in use has none and `by_predictions` is false.

    `by_predictions` judges a classifier in use that has no verdicts (a bundle's, built before them) by its
    predictions on every support cell: that favours it (it may have been fitted on them), so refits are kept
    only when clearly better; the safe side when nothing fairer is known.
    """
    if not len(candidate.cv_correct_) or (not len(current.cv_correct_) and not by_predictions):
        return None
    before = {
        (k, y): bool(c)
        for k, y, c in zip(current.support_keys_, current.support_labels_, current.cv_correct_, strict=True)
    }
    pairs = [before.get((k, y)) for k, y in zip(candidate.support_keys_, candidate.support_labels_, strict=True)]
    unseen = np.array([p is None for p in pairs], bool)
    old = np.array([bool(p) for p in pairs], bool)
    if unseen.any():
        old[unseen] = current.predict(embeddings[unseen]) == candidate.support_labels_[unseen]
    new = candidate.cv_correct_
    return Comparison(
        cells=len(new),
        current_correct=int(old.sum()),
        candidate_correct=int(new.sum()),
        only_current=int((old & ~new).sum()),
        only_candidate=int((new & ~old).sum()),
    )


def _balanced(probabilities: np.ndarray, balance: np.ndarray) -> np.ndarray:
    if np.all(balance == 1.0):
        return probabilities
    weighted = probabilities * balance
    return weighted / weighted.sum(axis=1, keepdims=True)


def _tempered(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """p^(1/T), renormalised: T > 1 softens, T < 1 sharpens; the winning class never changes."""
    if temperature == 1.0:
        return probabilities
    logits = np.log(np.clip(probabilities, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    tempered = np.exp(logits)
    return tempered / tempered.sum(axis=1, keepdims=True)


def fit_temperature(probabilities: np.ndarray, labels: np.ndarray, classes: np.ndarray) -> float:
    """The temperature minimising the log loss of held-out probabilities (bounded search on log T)."""
    from scipy.optimize import minimize_scalar

    truth = np.searchsorted(classes, labels)

    def loss(log_t: float) -> float:
        tempered = _tempered(probabilities, float(np.exp(log_t)))
        return float(-np.log(np.clip(tempered[np.arange(len(truth)), truth], 1e-12, 1.0)).mean())

    result = minimize_scalar(loss, bounds=(np.log(0.05), np.log(20.0)), method="bounded", options={"xatol": 1e-3})
    return float(np.exp(result.x)) if loss(float(result.x)) < loss(0.0) else 1.0


#: Fewer cross-validated cells than this: no confidence map (a step function on a handful of cells is noise).
MIN_CELLS_FOR_CONFIDENCE_MAP = 500


def fit_confidence_map(
    probabilities: np.ndarray, labels: np.ndarray, classes: np.ndarray, keys: Sequence[str]
) -> np.ndarray:
    """A monotone map of the winner's probability to the share of such cells that are right, or none.

    A temperature rescales every class alike and cannot fix a label set whose confident and unsure
    cells are off in opposite directions (a hard attribute such as nucleus shape); an isotonic
    regression of "the winner is right" on the winner's held-out probability can. It is kept only
    if it earns its place on held-out halves: fitted on one half of the cells (by key) it must lower
    the other half's expected calibration error, both ways round, else a step function fitted to
    noise would be stored. Returned as breakpoints (row 0: probability in, row 1: out), strictly
    increasing so that ranking cells by confidence (the review queue) keeps its order; empty below
    `MIN_CELLS_FOR_CONFIDENCE_MAP` cells or when it does not help.
    """
    if len(labels) < MIN_CELLS_FOR_CONFIDENCE_MAP:
        return np.zeros((2, 0), np.float32)
    confidence = probabilities.max(axis=1)
    correct = (classes[probabilities.argmax(axis=1)] == labels).astype(np.float64)
    half = stable_folds(keys, 2)
    with_map = without_map = 0.0
    for held_out in (0, 1):
        fit, test = half != held_out, half == held_out
        if fit.sum() < MIN_CELLS_FOR_CONFIDENCE_MAP // 4 or test.sum() < MIN_CELLS_FOR_CONFIDENCE_MAP // 4:
            return np.zeros((2, 0), np.float32)
        points = _isotonic_points(confidence[fit], correct[fit])
        with_map += expected_calibration_error(np.interp(confidence[test], points[0], points[1]), correct[test])
        without_map += expected_calibration_error(confidence[test], correct[test])
    if with_map >= without_map:
        return np.zeros((2, 0), np.float32)
    return _isotonic_points(confidence, correct).astype(np.float32)


def _isotonic_points(confidence: np.ndarray, correct: np.ndarray) -> np.ndarray:
    """Isotonic regression as a strictly increasing polyline: one point per block (its mean probability and
    share right), anchored at (0, 0) and (1, 1), so that no two different probabilities map to one value."""
    from sklearn.isotonic import IsotonicRegression

    # clip: the fit merges near-duplicate probabilities and would answer NaN just above its largest one
    isotonic = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
    fitted = isotonic.fit_transform(confidence, correct)
    xs, ys = [0.0], [0.0]
    for value in np.unique(fitted):
        block = fitted == value
        x, y = float(confidence[block].mean()), float(value)
        if x > xs[-1] and y > ys[-1] and y < 1.0:
            xs.append(x)
            ys.append(y)
    xs.append(1.0)
    ys.append(1.0)
    return np.array([xs, ys], np.float64)


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    """Mean |share right − mean confidence| over equal-width confidence bins, weighted by cells (as the benchmark)."""
    which = np.clip(np.ceil(confidence * bins).astype(np.int64) - 1, 0, bins - 1)
    total = np.bincount(which, minlength=bins)
    gap = np.abs(np.bincount(which, correct, bins) - np.bincount(which, confidence, bins))
    return float(gap.sum() / max(len(confidence), 1)) if total.any() else 0.0


def _mapped(probabilities: np.ndarray, confidence_map: np.ndarray) -> np.ndarray:
    """The winner's probability through the confidence map, the others scaled to fill the rest; winner kept."""
    if confidence_map.shape[1] == 0:
        return probabilities
    rows = np.arange(len(probabilities))
    winner = probabilities.argmax(axis=1)
    top = probabilities[rows, winner].astype(np.float64)
    ordered = np.sort(probabilities, axis=1)
    second = ordered[:, -2] if probabilities.shape[1] > 1 else np.zeros(len(top))
    mapped = np.interp(top, confidence_map[0], confidence_map[1])
    # The winner stays the winner: its new share is at least what keeps it above the runner-up.
    rest = np.maximum(1.0 - top, 1e-12)
    mapped = np.clip(np.maximum(mapped, second / (rest + second) + 1e-6), 0.0, 1.0)
    out = probabilities * ((1.0 - mapped) / rest)[:, None]
    out[rows, winner] = mapped
    return out


def _calibrated(scores: np.ndarray, slopes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Platt probabilities per one-vs-rest problem, normalised across classes (rows sum to 1)."""
    sigmoid = 1.0 / (1.0 + np.exp(np.clip(slopes * scores + offsets, -50, 50)))
    if sigmoid.shape[1] == 1:  # a two-class set: one problem, the second class positive
        return np.column_stack([1.0 - sigmoid[:, 0], sigmoid[:, 0]])
    total = sigmoid.sum(axis=1, keepdims=True)
    uniform = np.full_like(sigmoid, 1.0 / sigmoid.shape[1])
    return np.where(total > 0, sigmoid / np.where(total > 0, total, 1.0), uniform)


def _squared_hinge_svm(
    z: np.ndarray, y: np.ndarray, C: float, gram: np.ndarray, max_iter: int, tol: float, start: np.ndarray | None = None
) -> np.ndarray:
    """min ½‖w‖² + C Σ max(0, 1 − yᵢ w·zᵢ)², liblinear's L2-loss SVM, by finite Newton steps.

    On the cells inside the margin (the active set) the objective is quadratic, so each step
    solves it exactly, (I + 2C Z_AᵀZ_A) w̄ = 2C Z_Aᵀy_A, followed by an exact line search
    towards w̄; the method stops when the active set no longer changes (Keerthi & DeCoste,
    JMLR 6, 2005). Z_AᵀZ_A comes from the shared `gram` minus the few cells outside the set.
    """
    n, k = z.shape
    identity = np.eye(k)
    if start is None:
        w = np.zeros(k, np.float64)
        margins = np.zeros(n, np.float64)
        active = np.ones(n, bool)  # at w = 0 every cell is inside the margin
        active_gram = gram
    else:
        w = np.asarray(start, np.float64).copy()
        margins = (z @ w.astype(z.dtype)).astype(np.float64)
        active = y * margins < 1.0
        active_gram = _gram_of(z, gram, active)
    for iteration in range(max(max_iter, 1)):
        if iteration:
            now_active = y * margins < 1.0
            added, removed = now_active & ~active, active & ~now_active
            if not added.any() and not removed.any():
                break  # the active set is stable: w is the exact optimum
            active_gram = _update_gram(z, gram, active_gram, now_active, added, removed)
            active = now_active
        rhs = 2.0 * C * (np.where(active, y, 0.0).astype(z.dtype) @ z).astype(np.float64)
        target = scipy.linalg.solve(identity + 2.0 * C * active_gram, rhs, assume_a="pos")
        direction = target - w
        change = (z @ direction.astype(z.dtype)).astype(np.float64)  # no float64 copy of z
        step = _line_search(w, direction, margins, change, y, C)
        w += step * direction
        margins += step * change
        if step == 1.0 and np.linalg.norm(direction) <= tol * (1.0 + np.linalg.norm(w)):
            break
    return w


def _update_gram(
    z: np.ndarray, gram: np.ndarray, active_gram: np.ndarray, active: np.ndarray, added: np.ndarray, removed: np.ndarray
) -> np.ndarray:
    """Z_AᵀZ_A for the new active set by the cheapest route: from the few cells that changed, from the
    active cells, or from the full Gram matrix minus the inactive ones."""
    changed = int(added.sum() + removed.sum())
    if changed < min(int(active.sum()), len(active) - int(active.sum())):
        return active_gram + (z[added].T @ z[added]).astype(np.float64) - (z[removed].T @ z[removed]).astype(np.float64)
    return _gram_of(z, gram, active)


def _gram_of(z: np.ndarray, gram: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Z_AᵀZ_A from the active cells or as the full Gram matrix minus the inactive ones, whichever is fewer."""
    if int(active.sum()) * 2 <= len(active):
        return (z[active].T @ z[active]).astype(np.float64)
    return gram - (z[~active].T @ z[~active]).astype(np.float64)


def _line_search(
    w: np.ndarray, direction: np.ndarray, margins: np.ndarray, change: np.ndarray, y: np.ndarray, C: float
) -> float:
    """The step t in (0, 1] minimising the (convex, piecewise quadratic) objective along `direction`."""
    wd, dd = float(w @ direction), float(direction @ direction)

    def slope(t: float) -> float:
        outputs = margins + t * change
        inside = y * outputs < 1.0
        return wd + t * dd + 2.0 * C * float(np.sum((outputs[inside] - y[inside]) * change[inside]))

    if slope(1.0) <= 0.0:
        return 1.0
    low, high = 0.0, 1.0
    for _ in range(50):
        middle = (low + high) / 2
        if slope(middle) > 0.0:
            high = middle
        else:
            low = middle
        if high - low < 1e-6:
            break
    return (low + high) / 2
