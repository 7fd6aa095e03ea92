"""Adapt to this lab, timed: `lab_adaptation.adapt_bundle` on ~2,000 cells of a dev lab, as the worker runs it.

    python -m benchmarks.bench_adapt --lab pbc_shifted --cells 2000 --labels 25 [--fine-tune-minutes 4]
    python -m benchmarks.bench_adapt --lab bccd --labels 25

The lab labels `--labels` cells chosen by the new-lab queue's cold start (`active_learning.cold_start`
on the base model's embedding, as the labelling queue serves a new lab); the adaptation runs with
the product's defaults (scale standardisation kept only if it helps, head chosen by cross-validation)
plus the fine-tune when asked. Reported: wall time per phase and in total (save included), the
machine's load average, and accuracy / macro F1 on the cells the lab did NOT label for the base
model and the adapted one. On pbc_shifted the clean held-out PBC cells not used as the lab
(`--held-out` of them) measure what the adapted model keeps of the training lab.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.bench_new_lab import LABEL_SET, git_commit, lab_table
from benchmarks.datasets import DEFAULT_BUNDLE
from hemosight.ml.active_learning import cold_start
from hemosight.ml.adapt_options import AdaptOptions
from hemosight.ml.bundle import ModelBundle
from hemosight.ml.imageio import decode_image
from hemosight.ml.lab_adaptation import adapt_bundle, score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_BUNDLE)
    parser.add_argument("--lab", default="pbc_shifted", help="bccd, cellavision_blog or pbc_shifted")
    parser.add_argument("--cells", type=int, default=2000)
    parser.add_argument("--labels", type=int, default=25)
    parser.add_argument("--fine-tune-minutes", type=float, default=0.0)
    parser.add_argument("--colour", action="store_true")
    parser.add_argument("--no-scale", action="store_true")
    parser.add_argument("--held-out", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    paths, labels, shift = lab_table(args.lab)
    rows = np.sort(np.random.default_rng(args.seed).permutation(len(paths))[: args.cells])
    images = [decode_image(Path(paths[i]).read_bytes()) for i in rows]
    if shift is not None:
        images = [shift(im) for im in images]
    truth = np.asarray(labels)[rows].astype(str)
    held_out: tuple[list[np.ndarray], list[str]] | None = None
    if args.lab == "pbc_shifted" and args.held_out:
        rest = np.setdiff1d(np.arange(len(paths)), rows)[: args.held_out]
        held_out = (
            [decode_image(Path(paths[i]).read_bytes()) for i in rest],
            np.asarray(labels)[rest].astype(str).tolist(),
        )

    base = ModelBundle.load(args.model)
    load_before = os.getloadavg()
    tick = time.perf_counter()
    prepared = np.stack([base.preprocessing.prepare(im) for im in images])
    queue = cold_start(base.embed_prepared(prepared), args.labels, args.seed)[: args.labels]
    queue_seconds = time.perf_counter() - tick
    given: list[str | None] = [None] * len(images)
    for r in queue:
        given[int(r)] = truth[int(r)]
    options = AdaptOptions(
        colour=args.colour, scale=not args.no_scale, fine_tune_minutes=args.fine_tune_minutes, seed=args.seed
    )
    phases: list[tuple[str, float]] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-adapt-") as folder:
        adapted = adapt_bundle(
            base,
            images,
            given,
            options,
            Path(folder),
            progress=lambda phase, _: phases.append((phase, round(time.perf_counter() - started, 1))),
            held_out=held_out,
        )
        adapted.bundle.save(Path(folder) / "adapted.hsb")
    wall = time.perf_counter() - started
    unlabelled = np.setdiff1d(np.arange(len(images)), queue)
    before = score(base.classifiers[LABEL_SET].predict(adapted.base_embeddings[unlabelled]), truth[unlabelled])
    after = score(adapted.bundle.classifiers[LABEL_SET].predict(adapted.embeddings[unlabelled]), truth[unlabelled])
    result = {
        "lab": args.lab,
        "model": str(args.model.name),
        "cells": len(images),
        "labelled": len(queue),
        "classes_covered_by_labels": len(set(truth[queue].tolist())),
        "options": vars(options),
        "wall_seconds": round(wall, 1),
        "queue_seconds": round(queue_seconds, 1),
        "phases": phases,
        "unlabelled_cells": {"base": before, "adapted": after},
        "adaptation": adapted.metrics["adaptation"],
        "lab_cv": adapted.metrics["lab"],
        "held_out_retention": adapted.metrics["held_out_retention"],
        "load_average_before": [round(v, 1) for v in load_before],
        "load_average_after": [round(v, 1) for v in os.getloadavg()],
        "cpus": os.cpu_count(),
        "commit": git_commit(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    text = json.dumps(result, indent=2, default=str)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
