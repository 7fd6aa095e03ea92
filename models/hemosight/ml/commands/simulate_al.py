"""`hemosight simulate-al`: replay the paper's active-learning experiment on labelled cells.

Start from 90 stratified labels, add 90 per iteration by each strategy, log macro F1 per
iteration for every fold, fit P(n) = Pmax − k/(n − n0)^r per strategy and compare each
strategy with random sampling (one-sided Wilcoxon signed-rank). Embeddings come from a
model bundle (`--model`, images listed in `--data`) or from a `.npy` file whose rows
follow the rows of `--data` (`--embeddings`), which skips the encoder.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from hemosight.ml.cli import resolve_bundle
from hemosight.ml.errors import HemosightError


def run(args: argparse.Namespace) -> int:
    from hemosight.ml.active_learning import STRATEGIES, SimulationConfig, simulate, summarise
    from hemosight.ml.data import read_label_table
    from hemosight.ml.plots import plot_learning_curves

    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown or not strategies:
        raise HemosightError(f"unknown strategy {', '.join(unknown) or '(none)'}; use {', '.join(STRATEGIES)}.")
    table = read_label_table(args.data, args.images)
    if args.label_set not in table.label_sets:
        raise HemosightError(f"{args.data} has no column {args.label_set!r}.")
    rows = table.labelled(args.label_set)
    labels = np.asarray(table.label_sets[args.label_set])[rows]
    embeddings, source = _embeddings(args, table, rows)
    smallest = int(np.unique(labels, return_counts=True)[1].min()) if len(labels) else 0
    if smallest < args.folds:
        raise HemosightError(
            f"every class needs at least --folds ({args.folds}) labelled cells; the smallest has {smallest}."
        )
    config = SimulationConfig(
        start=args.start, step=args.step, iterations=args.iterations, folds=args.folds, seed=args.seed
    )
    simulation = simulate(embeddings, labels, strategies, config, progress=lambda line: print(line, flush=True))
    report = {
        "label_set": args.label_set,
        "embeddings": source,
        **simulation,
        "summary": summarise(simulation),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "simulate-al.json").write_text(json.dumps(report, indent=2))
    plot_learning_curves(report["summary"], args.out / "learning-curves.png", f"{args.label_set}: active learning")
    summary = report["summary"]
    if "all_labels_macro_f1" in summary:
        print(f"all labels ({summary['pool_size']:.0f} cells): macro F1 {summary['all_labels_macro_f1']:.3f}")
    for strategy, s in report["summary"]["strategies"].items():
        fit = s["power_law"]
        line = f"{strategy:<12} macro F1 {s['macro_f1_mean'][0]:.3f} → {s['macro_f1_mean'][-1]:.3f}"
        if fit:
            line += f"  power law Pmax {fit['p_max']:.3f} k {fit['k']:.3g} n0 {fit['n0']:.1f} r {fit['r']:.3f}"
        reach = s.get("labels_to_reach_all_labels")
        if reach and reach["labels"] is not None:
            line += f"  reaches the all-labels F1 at {reach['labels']:.0f} labels ({reach['fraction_of_pool']:.1%})"
        elif reach:
            line += "  does not reach the all-labels F1 within the run"
        test = report["summary"]["wilcoxon"].get(strategy)
        if test:
            line += f"  vs random: p = {test['p_value']:.3g}"
        print(line)
    print(f"wrote {args.out / 'simulate-al.json'} and {args.out / 'learning-curves.png'}")
    return 0


def _embeddings(args: argparse.Namespace, table, rows: np.ndarray) -> tuple[np.ndarray, str]:
    if args.embeddings is not None:
        matrix = np.load(args.embeddings, mmap_mode="r")
        if len(matrix) != len(table.paths):
            raise HemosightError(
                f"{args.embeddings} has {len(matrix)} rows but {args.data} has {len(table.paths)}; "
                "the rows must correspond one to one."
            )
        return np.asarray(matrix[rows], np.float32), str(args.embeddings)
    from hemosight.ml.bundle import ModelBundle
    from hemosight.ml.data import load_images

    path: Path = resolve_bundle(args.model)
    bundle = ModelBundle.load(path)
    images = load_images([table.paths[i] for i in rows], bundle.preprocessing)
    return bundle.embed_prepared(images), f"model {bundle.version}"
