"""scripts/build_bundle.py: a classifier kept from the source bundle gets held-out verdicts to be compared with."""

from __future__ import annotations

import numpy as np

from hemosight.ml.classifiers import LabelSetClassifier
from scripts.build_bundle import with_recipe_verdicts


def test_a_kept_classifier_gets_the_recipes_verdicts_and_keeps_its_predictions() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 2, (3, 12))
    x = np.concatenate([c + rng.normal(0, 1, (40, 12)) for c in centres]).astype(np.float32)
    y = np.repeat(["a", "b", "c"], 40)
    ids = [f"cell-{i}" for i in range(len(y))]
    kept = LabelSetClassifier(C=0.3).fit(x, y, ids)
    before = kept.predict_proba(x)
    # As stored before stable folds: no verdicts, so the worker could only judge it by its own predictions.
    kept.support_keys_, kept.support_labels_, kept.cv_correct_ = np.zeros(0, str), np.zeros(0, str), np.zeros(0, bool)
    given = with_recipe_verdicts(kept, x, list(y), ids)
    assert list(given.support_keys_) == ids and list(given.support_labels_) == list(y)
    assert len(given.cv_correct_) == len(y) and given.cv_accuracy is not None and given.cv_accuracy > 0.8
    np.testing.assert_array_equal(given.predict_proba(x), before)
