"""Active learning on a fixed embedding: which cells to label next, and how fast labels pay off.

Query strategies work on a probability matrix (cells × classes) from a label-set
classifier and return row indices, most useful first:
- `uncertainty`: lowest top probability (the HemoSight paper's strategy);
- `margin`: smallest gap between the two most likely classes; Nakamura et al. query
  cells whose gap is below 0.2 first;
- `entropy`: highest Shannon entropy of the class distribution;
- `random`: a seeded permutation (the baseline).
Confirmed self-training (CST, Nakamura et al.) offers the cells the classifier is almost
sure of (top probability ≥ 0.99) for one-click confirmation; `cst_al_queue` combines both
queues. A new lab starts with no labels and a classifier that does not know its cells, so
its first labels come from `cold_start` (one cell per k-means cluster of the lab's own
embedding, so that the first labels cover its classes) and later ones from `lab_queue`
(margin sampling spread over clusters of the least certain cells). `simulate` replays the
paper's experiment on labelled data, `fit_power_law` fits its learning-curve model
P(n) = Pmax − k / (n − n0)^r (eq. 1) and `compare_strategies` tests whether one strategy learns
faster than another (one-sided Wilcoxon signed-rank).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit
from scipy.stats import wilcoxon
from sklearn.model_selection import StratifiedKFold

from hemosight.ml.classifiers import LabelSetClassifier, NotEnoughLabelsError
from hemosight.ml.errors import HemosightError
from hemosight.ml.evaluation import macro_f1

STRATEGIES = ("uncertainty", "margin", "entropy", "random")
DEFAULT_BATCH = 90
MARGIN_THRESHOLD = 0.2
CST_THRESHOLD = 0.99


class UnknownStrategyError(HemosightError, ValueError):
    """The strategy name is not one of `STRATEGIES`."""


def top_probability(probabilities: np.ndarray) -> np.ndarray:
    return np.asarray(probabilities, np.float64).max(axis=1)


def margins(probabilities: np.ndarray) -> np.ndarray:
    """Gap between the most and the second most likely class per cell."""
    p = np.asarray(probabilities, np.float64)
    if p.shape[1] < 2:
        return np.ones(len(p))
    top2 = -np.partition(-p, 1, axis=1)[:, :2]
    return top2[:, 0] - top2[:, 1]


def entropies(probabilities: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(probabilities, np.float64), 1e-12, 1.0)
    return -(p * np.log(p)).sum(axis=1)


def rank(probabilities: np.ndarray, strategy: str, seed: int = 0) -> np.ndarray:
    """All row indices, most informative first, by `strategy`. Ties keep row order (stable)."""
    p = np.asarray(probabilities, np.float64)
    if strategy == "uncertainty":
        return np.argsort(top_probability(p), kind="stable")
    if strategy == "margin":
        return np.argsort(margins(p), kind="stable")
    if strategy == "entropy":
        return np.argsort(-entropies(p), kind="stable")
    if strategy == "random":
        return np.random.default_rng(seed).permutation(len(p))
    raise UnknownStrategyError(f"Unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}.")


def query(probabilities: np.ndarray, strategy: str, size: int = DEFAULT_BATCH, seed: int = 0) -> np.ndarray:
    """The next `size` cells to label by `strategy`."""
    return rank(probabilities, strategy, seed)[: max(size, 0)]


def margin_queue(
    probabilities: np.ndarray, threshold: float = MARGIN_THRESHOLD, size: int = DEFAULT_BATCH
) -> np.ndarray:
    """Cells whose two best classes are closer than `threshold`, smallest gap first (Nakamura et al.)."""
    gap = margins(probabilities)
    order = np.argsort(gap, kind="stable")
    return order[gap[order] < threshold][:size]


def cst_queue(probabilities: np.ndarray, threshold: float = CST_THRESHOLD, size: int | None = None) -> np.ndarray:
    """Confirmed self-training: cells with top probability ≥ `threshold`, most confident first."""
    top = top_probability(probabilities)
    order = np.argsort(-top, kind="stable")
    chosen = order[top[order] >= threshold]
    return chosen if size is None else chosen[:size]


def cst_al_queue(
    probabilities: np.ndarray,
    strategy: str = "margin",
    size: int = DEFAULT_BATCH,
    threshold: float = CST_THRESHOLD,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """(cells to confirm in bulk, cells to label by hand): CST and active learning together.

    The confirmation queue holds every confident cell; the labelling queue takes the
    `size` most informative of the rest, so no cell is in both.
    """
    confirm = cst_queue(probabilities, threshold)
    confident = np.zeros(len(probabilities), bool)
    confident[confirm] = True
    ranked = rank(probabilities, strategy, seed)
    return confirm, ranked[~confident[ranked]][:size]


# --- a new lab: cover its classes first, then margin ----------------------------------------------
#: Labels taken by clustering the lab's embedding before margin sampling takes over.
COLD_START = 25
#: Margin sampling looks at this many times the batch of least certain cells and spreads the batch over them.
MARGIN_POOL = 3


def cold_start(embeddings: np.ndarray, size: int = COLD_START, seed: int = 0) -> np.ndarray:
    """`size` rows that cover the lab's embedding: the cell nearest each k-means centroid (k = `size`).

    Ordered by farthest-first traversal over those cells, starting from the largest cluster, so
    that any prefix of the queue is spread out too (a lab that labels 10 of the 25 still gets
    10 different regions). Needs no classifier and no labels.
    """
    from sklearn.cluster import KMeans

    x = np.asarray(embeddings, np.float32)
    size = min(max(size, 0), len(x))
    if size == 0:
        return np.zeros(0, np.int64)
    kmeans = KMeans(size, n_init=3, random_state=seed).fit(x)
    distances = kmeans.transform(x)
    representatives = []
    for cluster in range(size):
        members = np.flatnonzero(kmeans.labels_ == cluster)
        if len(members):
            representatives.append(members[np.argmin(distances[members, cluster])])
    representatives = list(dict.fromkeys(representatives))  # a cell can be nearest two centroids
    cluster_sizes = np.bincount(kmeans.labels_, minlength=size)
    first = max(representatives, key=lambda r: cluster_sizes[kmeans.labels_[r]])
    return _farthest_first(x, np.asarray(representatives), first)


def _farthest_first(x: np.ndarray, rows: np.ndarray, first: int) -> np.ndarray:
    order = [int(first)]
    nearest = np.linalg.norm(x[rows] - x[first], axis=1)
    for _ in range(len(rows) - 1):
        nxt = int(rows[np.argmax(nearest)])
        order.append(nxt)
        nearest = np.minimum(nearest, np.linalg.norm(x[rows] - x[nxt], axis=1))
    return np.asarray(order, np.int64)


def lab_queue(
    embeddings: np.ndarray,
    labelled: np.ndarray,
    probabilities: np.ndarray | None,
    size: int,
    seed: int = 0,
    cold_start_size: int = COLD_START,
) -> np.ndarray:
    """The next `size` unlabelled rows for a lab to label.

    `embeddings`: every cell of the lab; `labelled`: boolean mask of cells already labelled;
    `probabilities`: the current classifier's probabilities for every cell (None before the
    lab has a classifier of its own). Until `cold_start_size` cells are labelled the queue
    serves the `cold_start` cells not labelled yet (a fixed set for a fixed seed, so rounds
    nest); after that, margin sampling: the `MARGIN_POOL` × `size` unlabelled cells with the
    smallest margin, one per k-means cluster among them, so a batch does not spend its labels
    on near-duplicates.
    """
    x = np.asarray(embeddings, np.float32)
    done = np.asarray(labelled, bool)
    unlabelled = np.flatnonzero(~done)
    size = min(max(size, 0), len(unlabelled))
    if size == 0:
        return np.zeros(0, np.int64)
    chosen: list[int] = []
    if done.sum() < cold_start_size or probabilities is None:
        chosen = [int(r) for r in cold_start(x, cold_start_size, seed) if not done[r]][:size]
    if len(chosen) < size and probabilities is not None:
        taken = done.copy()
        taken[chosen] = True
        rest = np.flatnonzero(~taken)
        gap = margins(np.asarray(probabilities)[rest])
        need = size - len(chosen)
        pool = rest[np.argsort(gap, kind="stable")[: need * MARGIN_POOL]]
        chosen.extend(int(r) for r in _spread(x, pool, need, seed))
    if len(chosen) < size:  # no classifier yet and the cold start is used up: spread over the rest
        taken = done.copy()
        taken[chosen] = True
        chosen.extend(int(r) for r in _spread(x, np.flatnonzero(~taken), size - len(chosen), seed))
    return np.asarray(chosen[:size], np.int64)


def _spread(x: np.ndarray, pool: np.ndarray, size: int, seed: int) -> np.ndarray:
    """`size` rows of `pool`, one nearest each k-means centroid of the pool (in pool order when it is small)."""
    from sklearn.cluster import KMeans

    if len(pool) <= size:
        return pool
    kmeans = KMeans(size, n_init=1, random_state=seed).fit(x[pool])
    distances = kmeans.transform(x[pool])
    picked = {int(pool[np.argmin(np.where(kmeans.labels_ == c, distances[:, c], np.inf))]) for c in range(size)}
    return np.asarray([r for r in pool if int(r) in picked], np.int64)


# --- the paper's experiment ------------------------------------------------------------------
def stratified_start(labels: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """About `size` rows with every class represented in proportion (at least 2 per class)."""
    classes, counts = np.unique(labels, return_counts=True)
    share = np.maximum(2, np.round(counts / counts.sum() * size)).astype(int)
    rows = [rng.permutation(np.flatnonzero(labels == c))[: min(n, k)] for c, n, k in zip(classes, share, counts)]
    return np.sort(np.concatenate(rows))


@dataclass
class SimulationConfig:
    start: int = 90
    step: int = 90
    iterations: int = 10
    folds: int = 5
    seed: int = 0


def simulate(
    embeddings: np.ndarray,
    labels: Sequence[str],
    strategies: Sequence[str] = STRATEGIES,
    config: SimulationConfig | None = None,
    make_classifier: Callable[[], LabelSetClassifier] = LabelSetClassifier,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Macro F1 per iteration for every strategy and fold on fixed embeddings.

    Each fold holds out a stratified test part; the pool is the rest. Every strategy
    starts from the same stratified labelled set and adds `step` cells of the pool per
    iteration, chosen from the current classifier's probabilities on the unlabelled pool.
    """
    config = config or SimulationConfig()
    for strategy in strategies:
        rank(np.zeros((1, 2)), strategy)  # refuse unknown names before any work
    x = np.asarray(embeddings, np.float32)
    y = np.asarray(labels)
    curves: dict[str, list[dict[str, Any]]] = {s: [] for s in strategies}
    splitter = StratifiedKFold(config.folds, shuffle=True, random_state=config.seed)
    all_labels: list[float] = []
    pool_sizes: list[int] = []
    for fold, (pool, test) in enumerate(splitter.split(x, y)):
        # the target every strategy is racing to: the classifier with every pool label
        all_labels.append(macro_f1(y[test], make_classifier().fit(x[pool], y[pool]).predict(x[test])))
        pool_sizes.append(len(pool))
        start = pool[stratified_start(y[pool], config.start, np.random.default_rng(config.seed + fold))]
        for strategy in strategies:
            labelled = np.zeros(len(y), bool)
            labelled[start] = True
            sizes, scores = [], []
            for iteration in range(config.iterations + 1):
                rows = np.flatnonzero(labelled)
                try:
                    classifier = make_classifier().fit(x[rows], y[rows])
                    score = macro_f1(y[test], classifier.predict(x[test]))
                except NotEnoughLabelsError:
                    classifier, score = None, 0.0
                sizes.append(len(rows))
                scores.append(score)
                unlabelled = pool[~labelled[pool]]
                if iteration == config.iterations or len(unlabelled) == 0:
                    break
                if classifier is None:
                    chosen = np.random.default_rng(config.seed + iteration).permutation(unlabelled)[: config.step]
                else:
                    picked = query(
                        classifier.predict_proba(x[unlabelled]), strategy, config.step, config.seed + iteration
                    )
                    chosen = unlabelled[picked]
                labelled[chosen] = True
            curves[strategy].append({"fold": fold, "support_size": sizes, "macro_f1": scores})
            if progress:
                progress(f"fold {fold + 1}/{config.folds} {strategy}: macro F1 {scores[0]:.3f} → {scores[-1]:.3f}")
    return {
        "config": vars(config),
        "n": len(y),
        "classes": sorted({str(v) for v in y}),
        "curves": curves,
        "all_labels_macro_f1": all_labels,
        "pool_size": pool_sizes,
    }


# --- learning curves ---------------------------------------------------------------------------
def power_law(n: np.ndarray, p_max: float, k: float, n0: float, r: float) -> np.ndarray:
    """Inverse power law P(n) = Pmax − k / (n − n0)^r (HemoSight paper, eq. 1)."""
    return p_max - k / np.power(np.maximum(np.asarray(n, np.float64) - n0, 1e-9), r)


def fit_power_law(sizes: Sequence[float] | np.ndarray, scores: Sequence[float] | np.ndarray) -> dict[str, float] | None:
    """Least-squares fit of `power_law` (scipy curve_fit); None when the points cannot determine it."""
    n = np.asarray(sizes, np.float64)
    p = np.asarray(scores, np.float64)
    if len(n) < 4 or np.ptp(n) == 0:
        return None
    n_min = float(n.min())
    guess = (min(1.0, float(p.max()) + 0.01), max(float(p.max() - p.min()), 1e-3) * n_min**0.5, 0.0, 0.5)
    bounds = ([0.0, 0.0, -np.inf, 0.01], [1.5, np.inf, n_min - 1e-6, 5.0])
    guess = (guess[0], guess[1], min(guess[2], n_min - 1.0), guess[3])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            params, _ = curve_fit(power_law, n, p, p0=guess, bounds=bounds, maxfev=20000)
    except (RuntimeError, ValueError):
        return None
    p_max, k, n0, r = (float(v) for v in params)
    residual = p - power_law(n, *params)
    return {"p_max": p_max, "k": k, "n0": n0, "r": r, "rmse": float(np.sqrt(np.mean(residual**2)))}


def learning_rate(sizes: Sequence[float] | np.ndarray, scores: Sequence[float] | np.ndarray) -> float:
    """Area under the learning curve divided by its width: one number per run, higher is faster."""
    n = np.asarray(sizes, np.float64)
    p = np.asarray(scores, np.float64)
    if len(n) < 2 or np.ptp(n) == 0:
        return float(p.mean()) if len(p) else 0.0
    return float(np.sum((p[1:] + p[:-1]) / 2 * np.diff(n)) / np.ptp(n))


def compare_strategies(curves: dict[str, list[dict[str, Any]]], baseline: str = "random") -> dict[str, Any]:
    """One-sided Wilcoxon signed-rank test per strategy against `baseline`.

    Pairs are (fold, iteration) points of the same support size: H1 is "the strategy's
    macro F1 is higher than the baseline's". The test needs several pairs; with fewer than
    six non-zero differences the p-value cannot reach 0.05, which the report states.
    """
    if baseline not in curves:
        return {}
    out: dict[str, Any] = {}
    base = {c["fold"]: c for c in curves[baseline]}
    for strategy, runs in curves.items():
        if strategy == baseline:
            continue
        ours, theirs, rates = [], [], []
        for run in runs:
            other = base.get(run["fold"])
            if other is None:
                continue
            m = min(len(run["macro_f1"]), len(other["macro_f1"]))
            ours.extend(run["macro_f1"][1:m])  # the starting point is shared
            theirs.extend(other["macro_f1"][1:m])
            rates.append(
                learning_rate(run["support_size"][:m], run["macro_f1"][:m])
                - learning_rate(other["support_size"][:m], other["macro_f1"][:m])
            )
        diff = np.asarray(ours) - np.asarray(theirs)
        entry: dict[str, Any] = {
            "baseline": baseline,
            "pairs": len(diff),
            "mean_difference": float(diff.mean()) if len(diff) else 0.0,
            "mean_learning_rate_difference": float(np.mean(rates)) if rates else 0.0,
        }
        if np.count_nonzero(diff) == 0:
            entry |= {"statistic": None, "p_value": 1.0, "note": "identical curves"}
        else:
            test = wilcoxon(ours, theirs, alternative="greater", zero_method="wilcox")
            entry |= {"statistic": float(test.statistic), "p_value": float(test.pvalue)}
        out[strategy] = entry
    return out


def summarise(simulation: dict[str, Any]) -> dict[str, Any]:
    """Mean curve and power-law fit per strategy, plus the Wilcoxon comparison against random."""
    curves = simulation["curves"]
    summary: dict[str, Any] = {}
    for strategy, runs in curves.items():
        length = min(len(r["macro_f1"]) for r in runs)
        sizes = np.mean([r["support_size"][:length] for r in runs], axis=0)
        scores = np.asarray([r["macro_f1"][:length] for r in runs])
        summary[strategy] = {
            "support_size": sizes.tolist(),
            "macro_f1_mean": scores.mean(axis=0).tolist(),
            "macro_f1_std": scores.std(axis=0).tolist(),
            "power_law": fit_power_law(np.tile(sizes, len(runs)), scores.ravel()),
        }
    if simulation.get("all_labels_macro_f1"):
        target = float(np.mean(simulation["all_labels_macro_f1"]))
        pool = float(np.mean(simulation["pool_size"]))
        for s in summary.values():
            s["labels_to_reach_all_labels"] = labels_to_reach(s["support_size"], s["macro_f1_mean"], target, pool)
            s["labels_to_reach_99pct_of_all_labels"] = labels_to_reach(
                s["support_size"], s["macro_f1_mean"], 0.99 * target, pool
            )
        return {
            "strategies": summary,
            "wilcoxon": compare_strategies(curves),
            "all_labels_macro_f1": target,
            "pool_size": pool,
        }
    return {"strategies": summary, "wilcoxon": compare_strategies(curves)}


def labels_to_reach(sizes: Sequence[float], scores: Sequence[float], target: float, pool: float) -> dict[str, Any]:
    """The first simulated label count whose mean macro F1 reaches `target` (None: not within the run)."""
    for size, score in zip(sizes, scores, strict=True):
        if score >= target:
            return {"labels": float(size), "fraction_of_pool": float(size) / pool}
    return {"labels": None, "fraction_of_pool": None}
