import warnings

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.svm import LinearSVC

from hemosight.ml.calibration import fit_platt


def data(seed: int = 0, n: int = 300, d: int = 20, k: int = 4):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1.5, (k, d))
    y = rng.integers(0, k, n)
    return (centres[y] + rng.normal(0, 1, (n, d))).astype(np.float32), y


def test_platt_matches_scikit_learn_sigmoid_calibration() -> None:
    x, y = data(1, k=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = CalibratedClassifierCV(LinearSVC(C=0.1), method="sigmoid", cv=3, ensemble=False).fit(x, y)
    inner = ref.calibrated_classifiers_[0]
    scores = inner.estimator.decision_function(x)
    # Refit on the same cross-validated scores scikit-learn used is not exposed; check the
    # fitted curve on the final scores gives the same probabilities to within a few points.
    a, b = fit_platt(scores, y == 1)
    ours = 1 / (1 + np.exp(a * scores + b))
    theirs = ref.predict_proba(x)[:, 1]
    assert np.mean(np.abs(ours - theirs)) < 0.05
    assert a < 0  # higher SVM score → higher probability
