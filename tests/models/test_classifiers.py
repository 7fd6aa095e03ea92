import numpy as np
import pytest

from hemosight.ml.classifiers import LabelSetClassifier, NotEnoughLabelsError, _mapped, fit_confidence_map
from hemosight.ml.neighbours import Neighbours


def blobs(n_per_class: int, classes: list[str], dim: int = 16, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, (len(classes), dim))
    x = np.concatenate([c + rng.normal(0, 1, (n_per_class, dim)) for c in centres]).astype(np.float32)
    y = np.repeat(classes, n_per_class)
    return x, y


@pytest.mark.parametrize("classes", [["a", "b"], ["lymphocyte", "monocyte", "neutrophil", "basophil"]])
def test_fits_and_predicts_separable_classes(classes: list[str]) -> None:
    x, y = blobs(40, classes)
    xt, yt = blobs(20, classes, seed=0)
    clf = LabelSetClassifier().fit(x, y)
    assert clf.classes_ == sorted(classes)
    assert np.mean(clf.predict(xt) == yt) > 0.95
    proba = clf.predict_proba(xt)
    assert proba.shape == (len(yt), len(classes))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert proba.max(axis=1).mean() > 0.6


def test_round_trip_through_arrays_keeps_predictions() -> None:
    x, y = blobs(30, ["x", "y", "z"])
    clf = LabelSetClassifier().fit(x, y)
    copy = LabelSetClassifier.from_arrays(clf.to_arrays("set"), "set")
    np.testing.assert_array_equal(copy.predict_proba(x), clf.predict_proba(x))
    assert copy.classes_ == clf.classes_


def test_one_class_is_refused_with_words() -> None:
    with pytest.raises(NotEnoughLabelsError, match="at least two classes"):
        LabelSetClassifier().fit(np.zeros((3, 4)), ["a", "a", "a"])


def test_one_example_per_class_still_fits() -> None:
    x, y = blobs(1, ["a", "b", "c"])
    clf = LabelSetClassifier().fit(x, y)
    assert list(clf.predict(x)) == ["a", "b", "c"]


def test_fitting_is_deterministic() -> None:
    x, y = blobs(25, ["a", "b", "c"])
    p1 = LabelSetClassifier().fit(x, y).predict_proba(x)
    p2 = LabelSetClassifier().fit(x, y).predict_proba(x)
    np.testing.assert_array_equal(p1, p2)


def test_neighbours_match_brute_force() -> None:
    rng = np.random.default_rng(3)
    refs = rng.normal(size=(200, 8)).astype(np.float32)
    queries = rng.normal(size=(7, 8)).astype(np.float32)
    dist, idx = Neighbours(k=5).fit(refs).kneighbors(queries)
    brute = np.linalg.norm(queries[:, None] - refs[None], axis=2)
    np.testing.assert_array_equal(idx, np.argsort(brute, axis=1)[:, :5])
    np.testing.assert_allclose(dist, np.sort(brute, axis=1)[:, :5], rtol=1e-4)


def test_neighbours_k_larger_than_references() -> None:
    dist, idx = Neighbours(k=10).fit(np.eye(3, dtype=np.float32)).kneighbors(np.eye(3, dtype=np.float32))
    assert idx.shape == (3, 3) and np.all(idx[:, 0] == [0, 1, 2]) and np.allclose(dist[:, 0], 0, atol=1e-3)


def overlapping_imbalanced(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A common class and a rare one whose clouds overlap: close calls go to the common class."""
    rng = np.random.default_rng(seed)
    common = rng.normal(0.0, 1.0, (400, 8))
    rare = rng.normal(0.0, 1.0, (40, 8)) + np.r_[1.6, np.zeros(7)]
    return np.vstack([common, rare]).astype(np.float32), np.array(["common"] * 400 + ["rare"] * 40)


def test_class_balance_recovers_a_rare_class_that_frequency_hides() -> None:
    # Whether it raises held-out macro F1 on real cells is measured in benchmarks/RESULTS.md.
    x, y = overlapping_imbalanced(0)
    xt, yt = overlapping_imbalanced(1)
    plain = LabelSetClassifier(class_balance=False).fit(x, y)
    balanced = LabelSetClassifier().fit(x, y)
    assert balanced.balance_[1] > balanced.balance_[0], "the rare class is weighted up"
    rare_recall = [np.mean(clf.predict(xt)[yt == "rare"] == "rare") for clf in (plain, balanced)]
    assert rare_recall[1] > rare_recall[0] + 0.1
    np.testing.assert_allclose(balanced.predict_proba(xt).sum(axis=1), 1.0, atol=1e-5)


def test_balanced_classes_get_no_correction() -> None:
    x, y = blobs(40, ["a", "b", "c"])
    np.testing.assert_array_equal(LabelSetClassifier().fit(x, y).balance_, np.ones(3, np.float32))


def test_classifier_stored_before_class_balance_loads_uncorrected() -> None:
    x, y = overlapping_imbalanced(0)
    clf = LabelSetClassifier().fit(x, y)
    stored_before = ("/balance", "/temperature", "/confidence_map")
    old = {k: v for k, v in clf.to_arrays("set").items() if not k.endswith(stored_before)}
    copy = LabelSetClassifier.from_arrays(old, "set")
    np.testing.assert_array_equal(copy.balance_, np.ones(2, np.float32))
    assert copy.temperature_ == 1.0 and copy.confidence_map_.shape == (2, 0)
    plain = LabelSetClassifier(class_balance=False).fit(x, y)
    plain.temperature_, plain.confidence_map_ = 1.0, np.zeros((2, 0), np.float32)
    np.testing.assert_allclose(copy.predict_proba(x), plain.predict_proba(x), atol=1e-6)


def test_temperature_lowers_held_out_log_loss_and_keeps_the_winner() -> None:
    x, y = overlapping_imbalanced(0)
    xt, yt = overlapping_imbalanced(1)
    clf = LabelSetClassifier().fit(x, y)
    assert 0.05 <= clf.temperature_ <= 20.0
    untempered = LabelSetClassifier.from_arrays(
        {k: v for k, v in clf.to_arrays("c").items() if not k.endswith(("/temperature", "/confidence_map"))}, "c"
    )
    clf.confidence_map_ = np.zeros((2, 0), np.float32)  # the temperature alone
    tempered_p, plain_p = clf.predict_proba(xt), untempered.predict_proba(xt)
    np.testing.assert_array_equal(tempered_p.argmax(axis=1), plain_p.argmax(axis=1))
    truth = np.searchsorted(clf.classes_, yt)

    def log_loss(p: np.ndarray) -> float:
        return float(-np.log(np.clip(p[np.arange(len(truth)), truth], 1e-12, 1)).mean())

    assert log_loss(tempered_p) <= log_loss(plain_p) + 0.01


def test_a_refit_on_a_kept_basis_from_the_previous_fit_reaches_the_same_classifier() -> None:
    """The worker's fast refit (a basis kept in memory, warm starts) converges where a fit from scratch on that
    basis does: same held-out verdicts, probabilities equal to solver tolerance."""
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 1.0, (3, 24))
    y = rng.integers(0, 3, 400)
    x = (centres[y] + rng.normal(0, 1.2, (400, 24))).astype(np.float32)
    labels = np.array(["a", "b", "c"])[y]
    keys = [f"cell-{i}" for i in range(400)]
    recipe = LabelSetClassifier(components=8)
    base = recipe.basis(x[:380])
    previous = LabelSetClassifier(components=8).fit(x[:380], labels[:380], keys[:380], basis=base)
    extended = base.extend(x[380:])
    warm = LabelSetClassifier(components=8).fit(x, labels, keys, basis=extended, start=previous)
    cold = LabelSetClassifier(components=8).fit(x, labels, keys, basis=extended)
    assert previous.fold_weights_ and warm.fold_weights_
    np.testing.assert_array_equal(warm.cv_correct_, cold.cv_correct_)
    np.testing.assert_allclose(warm.predict_proba(x), cold.predict_proba(x), atol=1e-3)
    # The basis is the kept one: the lab's cells are standardised like the base cells, not refitted.
    np.testing.assert_array_equal(warm.mean_, base.scaler.mean_.astype(np.float32))
    assert len(extended) == 400 and len(base) == 380


def test_the_confidence_map_makes_an_overconfident_set_honest_and_keeps_every_winner() -> None:
    """Held-out top probabilities that overstate the share right (as on a hard attribute) are mapped to it."""
    rng = np.random.default_rng(0)
    classes = np.array(["a", "b", "c"])
    n = 4000
    probabilities = rng.dirichlet([0.3, 0.3, 0.3], n)
    winner = probabilities.argmax(axis=1)
    # The winner is right only (top probability − 0.25) of the time: overconfident by 0.25 throughout.
    right = rng.random(n) < np.clip(probabilities.max(axis=1) - 0.25, 0, 1)
    labels = np.where(right, classes[winner], classes[(winner + 1 + rng.integers(0, 2, n)) % 3])
    keys = [f"cell-{i}" for i in range(n)]
    confidence_map = fit_confidence_map(probabilities[:3000], labels[:3000], classes, keys[:3000])
    mapped = _mapped(probabilities[3000:], confidence_map)
    np.testing.assert_array_equal(mapped.argmax(axis=1), winner[3000:])
    np.testing.assert_allclose(mapped.sum(axis=1), 1.0, atol=1e-6)
    correct = right[3000:]

    def gap(p: np.ndarray) -> float:
        return abs(float(p.max(axis=1).mean()) - float(correct.mean()))

    assert gap(probabilities[3000:]) > 0.2 and gap(mapped) < 0.05
    assert fit_confidence_map(probabilities[:100], labels[:100], classes, keys[:100]).shape == (2, 0)  # too few
    # Ranking by confidence keeps its order (the review queue): a strictly increasing map.
    assert np.all(np.diff(confidence_map[1]) > 0) and np.all(np.diff(confidence_map[0]) > 0)


def test_regularisation_is_chosen_by_cross_validation_and_ties_keep_the_default() -> None:
    from hemosight.ml.builder import C_GRID, choose_regularisation, fit_classifiers
    from hemosight.ml.compact import round_rows

    x, y = blobs(30, ["a", "b", "c"])
    keys = [f"cell-{i}" for i in range(len(y))]
    # Well-separated classes: every C of the grid is perfect, so nothing beats the default recipe.
    assert choose_regularisation(x, y, keys) == LabelSetClassifier().C
    # Overlapping classes in many noisy dimensions: the choice is one of the grid, stored with the classifier.
    rng = np.random.default_rng(3)
    # (rounded as fit_classifiers stores them, so both see the very same cells)
    noisy = round_rows(np.hstack([x[:, :2] * 0.15, rng.normal(0, 1, (len(x), 40))]).astype(np.float32))
    chosen = choose_regularisation(noisy, y, keys)
    assert chosen in C_GRID
    [(name, clf)] = fit_classifiers(noisy, {"set": list(y)}, keys, choose_c=True).items()
    assert name == "set"
    assert abs(clf.C - chosen) < 1e-12


def test_the_confidence_map_keeps_the_most_confident_cells() -> None:
    """Hundreds of probabilities a hair below 1 (as a well-separated attribute gives): scikit-learn's isotonic fit
    merges near-duplicates to a maximum just below the largest of them and by default answers NaN above it, which
    silently dropped the most confident cells from the map (an empty block: NumPy's "mean of empty slice")."""
    import warnings

    from hemosight.ml.classifiers import _isotonic_points

    near_one = 1.0 - 10.0 ** -np.random.default_rng(0).uniform(7, 15, 878)
    confidence = np.concatenate([np.linspace(0.55, 0.95, 400), near_one])
    correct = np.concatenate([np.arange(400) % 3 != 0, np.arange(len(near_one)) % 20 != 0]).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        points = _isotonic_points(confidence, correct)
    assert np.isfinite(points).all()
    assert 0.9 < points[1, -2] < 1.0, "the most confident cells (95 % right) give the last point before (1, 1)"
