"""Calibrated confidence per label set on held-out PBC cells, and which review rule catches more errors.

    python -m benchmarks.bench_calibration [--bundle BUNDLE] [--data DATA_DIR]

Every cell of the PBC table is embedded once with the bundle's own encoder (cached in .cache/).
For each label set the classifier recipe (models/hemosight/ml/classifiers.py) is fitted on the training
split (20 % held out, stratified by cell type, seed 0, as scripts/train_default.py), its
temperature fitted on the support set's cross-validated probabilities; the held-out cells give
the expected calibration error (ECE, 15 equal-width bins of the top probability) without and
with the temperature, and of the shipped bundle's classifier, plus a reliability plot per label
set (benchmarks/results/calibration-reliability.png). Target: ECE ≤ 0.03.

Review rules on the held-out cell-type predictions, at the same review load (share of cells
sent to a person): lowest confidence first, lowest agreement of the 10 nearest reference cells
with the prediction first, and either (the lower of the two). Reports the errors each catches,
and the app's rules (confidence < 0.7; fewer than 8 of the 10 nearest reference cells agree).
Appends to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from benchmarks.datasets import DEFAULT_BUNDLE, PBC_DIR
from hemosight.ml.bundle import ModelBundle
from hemosight.ml.classifiers import recipe_of
from hemosight.ml.data import read_label_table, stratified_split
from hemosight.ml.imageio import decode_image

ROOT = Path(__file__).resolve().parents[1]
BINS = 15
LOADS = (0.01, 0.02, 0.05, 0.10)
#: The app's review rules (frontend LOW_CONFIDENCE; backend NEIGHBOUR_AGREEMENT).
LOW_CONFIDENCE, NEIGHBOUR_AGREEMENT = 0.7, 0.8


def expected_calibration_error(probabilities: np.ndarray, truth: np.ndarray, bins: int = BINS) -> float:
    confidence, predicted = probabilities.max(axis=1), probabilities.argmax(axis=1)
    correct = predicted == truth
    edges = np.linspace(0, 1, bins + 1)
    error = 0.0
    for low, high in itertools.pairwise(edges):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            error += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(error)


def reliability(probabilities: np.ndarray, truth: np.ndarray, bins: int = BINS) -> list[tuple[float, float, int]]:
    confidence, correct = probabilities.max(axis=1), probabilities.argmax(axis=1) == truth
    edges = np.linspace(0, 1, bins + 1)
    points = []
    for low, high in itertools.pairwise(edges):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            points.append((float(confidence[inside].mean()), float(correct[inside].mean()), int(inside.sum())))
    return points


def embeddings_of(bundle: ModelBundle, paths: list[Path]) -> np.ndarray:
    cache = ROOT / ".cache" / f"bench-embeddings-{bundle.version}-{bundle.backend}-{len(paths)}.npy"
    if cache.exists():
        return np.load(cache)
    chunks = []
    for start in range(0, len(paths), 256):
        images = [decode_image(p.read_bytes()) for p in paths[start : start + 256]]
        chunks.append(bundle.embed(images).astype(np.float16))
    embeddings = np.concatenate(chunks)
    cache.parent.mkdir(exist_ok=True)
    np.save(cache, embeddings)
    return embeddings


def review_rules(
    probabilities: np.ndarray, classes: list[str], truth: np.ndarray, neighbour_labels: np.ndarray
) -> dict:
    predicted = np.asarray(classes)[probabilities.argmax(axis=1)]
    wrong = predicted != np.asarray(classes)[truth]
    confidence = probabilities.max(axis=1)
    agreement = (neighbour_labels == predicted[:, None]).mean(axis=1)
    scores = {
        "confidence": confidence,
        "neighbours": agreement + 1e-3 * confidence,
        "either": np.minimum(confidence, agreement),
    }
    at_load = {}
    for load in LOADS:
        n = max(1, round(load * len(wrong)))
        at_load[f"{100 * load:g}%"] = {
            rule: int(wrong[np.argsort(score, kind="stable")[:n]].sum()) for rule, score in scores.items()
        } | {"reviewed": n}
    app = {
        "confidence < 0.7": confidence < LOW_CONFIDENCE,
        f"neighbours agree < {NEIGHBOUR_AGREEMENT}": agreement < NEIGHBOUR_AGREEMENT,
    }
    app["either"] = app["confidence < 0.7"] | app[f"neighbours agree < {NEIGHBOUR_AGREEMENT}"]
    return {
        "cells": len(wrong),
        "errors": int(wrong.sum()),
        "at_load": at_load,
        "app_rules": {
            name: {"flagged": int(m.sum()), "errors_caught": int((m & wrong).sum())} for name, m in app.items()
        },
    }


def plot(curves: dict[str, list[tuple[float, float, int]]], ece: dict[str, float], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(curves)
    cols = 4
    rows = (len(names) + cols - 1) // cols
    figure, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.2 * rows), squeeze=False)
    for axis, name in zip(axes.flat, names, strict=False):
        points = curves[name]
        axis.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
        axis.plot([p[0] for p in points], [p[1] for p in points], marker="o", ms=3)
        axis.set_title(f"{name}\nECE {ece[name]:.3f}", fontsize=9)
        axis.set_xlim(0, 1)
        axis.set_ylim(0, 1)
        axis.tick_params(labelsize=7)
    for axis in list(axes.flat)[len(names) :]:
        axis.axis("off")
    figure.supxlabel("confidence (top probability)")
    figure.supylabel("share correct")
    figure.tight_layout()
    out.parent.mkdir(exist_ok=True)
    figure.savefig(out, dpi=110)


def main(argv: list[str] | None = None) -> dict:
    """Measures and prints the summary; with --no-results nothing under benchmarks/ is written (a trial run)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE)
    parser.add_argument("--pbc", type=Path, default=PBC_DIR, help="the PBC folder (labels.csv)")
    parser.add_argument(
        "--no-results", action="store_true", help="print only: calibration.json, its plot and RESULTS.md stay as are"
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    bundle = ModelBundle.load(args.bundle)
    table = read_label_table(args.pbc / "labels.csv")
    train, test = stratified_split(table.label_sets["cell_type"], 0.2, seed=0)
    embeddings = embeddings_of(bundle, table.paths).astype(np.float32)
    ids = [p.name for p in table.paths]
    per_set: dict[str, dict] = {}
    curves, eces = {}, {}
    rules = None
    for name in bundle.classifiers:
        values = np.asarray(table.label_sets[name])
        fit_rows, test_rows = train[values[train] != ""], test[values[test] != ""]
        if len(test_rows) == 0:
            continue
        # The bundle's recipe for this label set (its C), as the worker's refits use it.
        recipe = recipe_of(bundle.classifiers[name])
        clf = recipe.fit(embeddings[fit_rows], values[fit_rows], [ids[i] for i in fit_rows])
        truth = np.searchsorted(clf.classes_, values[test_rows])
        calibrated = clf.predict_proba(embeddings[test_rows])
        temperature, confidence_map = clf.temperature_, clf.confidence_map_
        clf.confidence_map_ = np.zeros((2, 0), np.float32)
        tempered = clf.predict_proba(embeddings[test_rows])
        clf.temperature_ = 1.0
        plain = clf.predict_proba(embeddings[test_rows])
        clf.temperature_, clf.confidence_map_ = temperature, confidence_map
        shipped = bundle.classifiers[name]
        shipped_truth = np.searchsorted(shipped.classes_, values[test_rows])
        per_set[name] = {
            "held_out": len(test_rows),
            "support": len(fit_rows),
            "temperature": round(temperature, 3),
            "ece_without_temperature": round(expected_calibration_error(plain, truth), 4),
            "ece_temperature_only": round(expected_calibration_error(tempered, truth), 4),
            "ece": round(expected_calibration_error(calibrated, truth), 4),
            "confidence_map_points": int(confidence_map.shape[1]),
            "ece_shipped_classifier": round(
                expected_calibration_error(shipped.predict_proba(embeddings[test_rows]), shipped_truth), 4
            ),
            "accuracy": round(float((calibrated.argmax(axis=1) == truth).mean()), 4),
        }
        curves[name], eces[name] = reliability(calibrated, truth), per_set[name]["ece"]
        if name == "cell_type":
            reference_labels = np.asarray(bundle.references.labels["cell_type"])
            _, neighbours = bundle._neighbours().kneighbors(embeddings[test_rows], 10)
            rules = review_rules(calibrated, clf.classes_, truth, reference_labels[neighbours])
    out = ROOT / "benchmarks" / "results" / "calibration-reliability.png"
    summary = {
        "bundle": bundle.version,
        "label_sets": per_set,
        "review_rules_cell_type": rules,
        "plot": str(out.relative_to(ROOT)),
        "seconds": round(time.monotonic() - started, 1),
    }
    print(json.dumps(summary, indent=2))
    if not args.no_results:  # a trial run must not overwrite the committed figures
        plot(curves, eces, out)
        (ROOT / "benchmarks" / "results" / "calibration.json").write_text(json.dumps(summary, indent=2))
        append_results(summary)
    return summary


def append_results(summary: dict) -> None:
    lines = [
        "",
        f"## Calibrated confidence per label set ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "Command: `python -m benchmarks.bench_calibration` (numbers: benchmarks/results/calibration.json; "
        f"reliability plots: {summary['plot']})",
        "",
        f"Bundle {summary['bundle']}: recipe fitted on the training split, measured on held-out PBC cells. "
        "Target ECE ≤ 0.03.",
        "",
        "| label set | held-out cells | temperature | ECE without T | ECE with T | ECE with T + confidence map "
        "(this recipe) | ECE shipped | accuracy |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in summary["label_sets"].items():
        lines.append(
            f"| {name} | {row['held_out']} | {row['temperature']} | {row['ece_without_temperature']:.4f} | "
            f"{row['ece_temperature_only']:.4f} | **{row['ece']:.4f}** | {row['ece_shipped_classifier']:.4f} | "
            f"{row['accuracy']:.4f} |"
        )
    rules = summary["review_rules_cell_type"]
    if rules:
        lines += [
            "",
            f"Review rules on {rules['cells']} held-out cell-type predictions ({rules['errors']} wrong): errors caught "
            "when the same number of cells is sent to review.",
            "",
            "| review load | cells reviewed | lowest confidence | lowest neighbour agreement | either (the lower) |",
            "|---|---|---|---|---|",
        ]
        for load, row in rules["at_load"].items():
            lines.append(
                f"| {load} | {row['reviewed']} | {row['confidence']} | {row['neighbours']} | {row['either']} |"
            )
        lines += [
            "",
            "The app's rules: "
            + "; ".join(
                f"{name}: {v['flagged']} flagged, {v['errors_caught']} errors caught"
                for name, v in rules["app_rules"].items()
            )
            + ".",
            "",
        ]
    with open(ROOT / "benchmarks" / "RESULTS.md", "a") as handle:
        handle.write("\n".join(lines))


if __name__ == "__main__":
    main()
