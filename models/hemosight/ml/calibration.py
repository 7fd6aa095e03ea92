"""Platt scaling: turn SVM decision values into probabilities.

scikit-learn keeps its sigmoid calibrator private; this is the same fit (Platt's
smoothed targets, log loss), tested against `CalibratedClassifierCV(method="sigmoid")`.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize


def fit_platt(
    scores: np.ndarray, positive: np.ndarray, start: tuple[float, float] | None = None
) -> tuple[float, float]:
    """Platt scaling P(y=1|f) = 1 / (1 + exp(a·f + b)) with Platt's smoothed targets.

    `start`: (a, b) to start from, e.g. the previous fit's on nearly the same cells (a refit): fewer
    iterations to the same optimum. Default: a = 0 and b from the class frequencies, as Platt.
    """
    scores = np.asarray(scores, np.float64)
    n_pos = float(np.sum(positive))
    n_neg = float(len(positive) - n_pos)
    target = np.where(positive, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))

    def objective(ab: np.ndarray) -> tuple[float, np.ndarray]:
        z = ab[0] * scores + ab[1]
        # log(1 + e^z) and log(1 + e^-z), stable
        log_p = -np.logaddexp(0, z)  # log P(y=1)
        log_q = -np.logaddexp(0, -z)  # log P(y=0)
        loss = -np.sum(target * log_p + (1 - target) * log_q)
        p = np.exp(log_p)
        diff = target - p  # d loss / d z
        return float(loss), np.array([np.sum(diff * scores), np.sum(diff)])

    prior = np.log((n_neg + 1) / (n_pos + 1))
    initial = np.array([0.0, prior] if start is None else start, np.float64)
    result = minimize(objective, initial, jac=True, method="L-BFGS-B")
    return float(result.x[0]), float(result.x[1])
