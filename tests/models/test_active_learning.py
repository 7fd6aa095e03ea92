"""Query strategies, confirmed self-training, the power-law fit, the Wilcoxon comparison and `simulate-al`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hemosight.ml.active_learning import (
    UnknownStrategyError,
    compare_strategies,
    cst_al_queue,
    cst_queue,
    fit_power_law,
    margin_queue,
    power_law,
    query,
    rank,
)
from tests.conftest import PBC_LABELS

# Rows: confident, a two-way tie, a three-way spread, fairly sure, sure but second class close.
P = np.array(
    [
        [0.995, 0.004, 0.001],
        [0.50, 0.50, 0.00],
        [0.34, 0.33, 0.33],
        [0.80, 0.15, 0.05],
        [0.62, 0.38, 0.00],
    ]
)


def test_uncertainty_orders_by_lowest_top_probability() -> None:
    assert list(rank(P, "uncertainty")) == [2, 1, 4, 3, 0]
    assert list(query(P, "uncertainty", size=2)) == [2, 1]


def test_margin_orders_by_smallest_gap_and_the_queue_keeps_gaps_below_threshold() -> None:
    assert list(rank(P, "margin")) == [1, 2, 4, 3, 0]  # gaps 0, 0.01, 0.24, 0.65, 0.991
    assert list(margin_queue(P, threshold=0.2)) == [1, 2]


def test_entropy_orders_by_highest_entropy() -> None:
    assert list(rank(P, "entropy")) == [2, 1, 4, 3, 0]


def test_random_is_a_seeded_permutation_and_unknown_names_are_refused() -> None:
    first = rank(P, "random", seed=3)
    assert sorted(first) == [0, 1, 2, 3, 4] and list(first) == list(rank(P, "random", seed=3))
    with pytest.raises(UnknownStrategyError, match="uncertainty, margin, entropy, random"):
        rank(P, "best")


def test_cst_offers_only_cells_at_or_above_the_threshold() -> None:
    assert list(cst_queue(P, 0.99)) == [0]
    assert list(cst_queue(P, 0.8)) == [0, 3]
    assert list(cst_queue(P, 0.999)) == []


def test_cst_al_queues_do_not_overlap() -> None:
    confirm, review = cst_al_queue(P, "margin", size=10, threshold=0.8)
    assert list(confirm) == [0, 3] and list(review) == [1, 2, 4]


def test_power_law_fit_recovers_known_parameters() -> None:
    n = np.array([90, 180, 270, 360, 540, 720, 990, 1440, 2000, 3000, 5000], float)
    truth = {"p_max": 0.96, "k": 2.5, "n0": 40.0, "r": 0.7}
    fit = fit_power_law(n, power_law(n, **truth))
    assert fit is not None
    for name, value in truth.items():
        assert fit[name] == pytest.approx(value, rel=0.05), name
    assert fit["rmse"] < 1e-4
    assert fit_power_law([1, 2], [0.5, 0.6]) is None


def test_wilcoxon_finds_the_faster_strategy() -> None:
    rng = np.random.default_rng(0)
    sizes = [90, 180, 270, 360, 450]
    curves: dict[str, list[dict]] = {"uncertainty": [], "random": []}
    for fold in range(5):
        base = power_law(np.array(sizes, float), 0.95, 3.0, 0.0, 0.6) + rng.normal(0, 0.002, len(sizes))
        curves["random"].append({"fold": fold, "support_size": sizes, "macro_f1": list(base)})
        curves["uncertainty"].append({"fold": fold, "support_size": sizes, "macro_f1": [base[0], *(base[1:] + 0.02)]})
    result = compare_strategies(curves)["uncertainty"]
    assert result["p_value"] < 0.01 and result["mean_difference"] == pytest.approx(0.02)
    assert (
        compare_strategies({"random": curves["uncertainty"], "uncertainty": curves["random"]})["uncertainty"]["p_value"]
        > 0.9
    )


def test_simulate_al_runs_end_to_end_on_the_fixtures(small_bundle_path: Path, tmp_path: Path, capsys) -> None:
    from hemosight.cli import main

    out = tmp_path / "al"
    code = main(
        [
            "simulate-al",
            "--model",
            str(small_bundle_path),
            "--data",
            str(PBC_LABELS),
            "--label-set",
            "cell_size",
            "--strategies",
            "uncertainty,margin,entropy,random",
            "--start",
            "4",
            "--step",
            "2",
            "--iterations",
            "2",
            "--folds",
            "2",
            "--out",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    report = json.loads((out / "simulate-al.json").read_text())
    assert set(report["curves"]) == {"uncertainty", "margin", "entropy", "random"}
    for runs in report["curves"].values():
        assert [r["fold"] for r in runs] == [0, 1]
        for run in runs:
            assert run["support_size"] == [4, 6, 8] and all(0 <= f <= 1 for f in run["macro_f1"])
    assert set(report["summary"]["wilcoxon"]) == {"uncertainty", "margin", "entropy"}
    assert len(report["all_labels_macro_f1"]) == 2 and all(0 <= f <= 1 for f in report["all_labels_macro_f1"])
    target = report["summary"]["all_labels_macro_f1"]
    for summary in report["summary"]["strategies"].values():
        reach = summary["labels_to_reach_all_labels"]
        reached = [n for n, f in zip(summary["support_size"], summary["macro_f1_mean"], strict=True) if f >= target]
        assert reach["labels"] == (reached[0] if reached else None)
    assert (out / "learning-curves.png").stat().st_size > 1000


def test_labels_to_reach_is_the_first_count_at_or_above_the_target() -> None:
    from hemosight.ml.active_learning import labels_to_reach

    sizes, scores = [90, 180, 270, 360], [0.70, 0.84, 0.86, 0.90]
    assert labels_to_reach(sizes, scores, 0.85, pool=1000) == {"labels": 270.0, "fraction_of_pool": 0.27}
    assert labels_to_reach(sizes, scores, 0.84, pool=1000)["labels"] == 180.0
    assert labels_to_reach(sizes, scores, 0.95, pool=1000) == {"labels": None, "fraction_of_pool": None}


def test_simulate_al_refuses_bad_input_in_words(tmp_path: Path, capsys) -> None:
    from hemosight.cli import main

    embeddings = tmp_path / "e.npy"
    np.save(embeddings, np.zeros((3, 4), np.float32))
    args = ["simulate-al", "--embeddings", str(embeddings), "--data", str(PBC_LABELS), "--out", str(tmp_path)]
    assert main([*args, "--strategies", "best"]) == 2
    assert "unknown strategy best" in capsys.readouterr().err
    assert main(args) == 2
    assert "rows must correspond" in capsys.readouterr().err
    assert main([*args, "--label-set", "colour"]) == 2
    assert "no column 'colour'" in capsys.readouterr().err


# --- a new lab: cold start and the lab queue ------------------------------------------------------------
def imbalanced_lab(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Five classes as separated blobs, as unbalanced as a real lab (200/60/25/10/5 cells)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, (5, 16)) * 4
    sizes = (200, 60, 25, 10, 5)
    x = np.concatenate([c + rng.normal(0, 0.5, (n, 16)) for c, n in zip(centres, sizes)])
    return x.astype(np.float32), np.repeat(np.arange(5), sizes)


def test_cold_start_covers_every_class_where_random_misses_rare_ones() -> None:
    from hemosight.ml.active_learning import cold_start

    x, y = imbalanced_lab()
    chosen = cold_start(x, 10, seed=0)
    assert len(chosen) == len(set(chosen.tolist())) == 10
    assert set(y[chosen]) == set(range(5))
    random_coverage = [len(set(y[np.random.default_rng(s).permutation(len(y))[:10]])) for s in range(20)]
    assert np.mean(random_coverage) < 5


def test_cold_start_prefix_is_spread_out() -> None:
    from hemosight.ml.active_learning import cold_start

    x, y = imbalanced_lab(1)
    assert len(set(y[cold_start(x, 25, seed=0)[:5]])) >= 4


def test_lab_queue_serves_the_cold_start_then_the_smallest_margins() -> None:
    from hemosight.ml.active_learning import cold_start, lab_queue

    x, _ = imbalanced_lab(2)
    labelled = np.zeros(len(x), bool)
    first = lab_queue(x, labelled, None, 10, seed=0, cold_start_size=25)
    np.testing.assert_array_equal(first, cold_start(x, 25, seed=0)[:10])
    labelled[first] = True
    second = lab_queue(x, labelled, None, 15, seed=0, cold_start_size=25)
    assert not labelled[second].any()
    np.testing.assert_array_equal(np.sort(np.concatenate([first, second])), np.sort(cold_start(x, 25, seed=0)))
    labelled[second] = True
    probabilities = np.tile([0.9, 0.1], (len(x), 1))
    uncertain = np.flatnonzero(~labelled)[::7][:12]
    probabilities[uncertain] = [0.5, 0.5]
    third = lab_queue(x, labelled, probabilities, 4, seed=0, cold_start_size=25)
    assert len(third) == 4 and set(third.tolist()) <= set(uncertain.tolist())


def test_lab_queue_never_repeats_labelled_cells_and_stops_when_all_are_labelled() -> None:
    from hemosight.ml.active_learning import lab_queue

    x, _ = imbalanced_lab(3)
    labelled = np.ones(len(x), bool)
    labelled[:3] = False
    assert sorted(lab_queue(x, labelled, None, 10).tolist()) == [0, 1, 2]
    assert len(lab_queue(x, np.ones(len(x), bool), None, 10)) == 0
