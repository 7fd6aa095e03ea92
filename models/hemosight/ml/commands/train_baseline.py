"""`hemosight train-baseline`: the supervised comparison model (encoder + softmax head)."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from hemosight.ml.errors import HemosightError


def run(args: argparse.Namespace) -> int:
    from hemosight.ml.data import load_images, read_label_table
    from hemosight.ml.preprocessing import Preprocessing
    from hemosight.ml.supervised import BaselineConfig, save_baseline, train_baseline

    table = read_label_table(args.data, args.images)
    if args.label_set not in table.label_sets:
        raise HemosightError(f"{args.data} has no column {args.label_set!r}.")
    subset = table.subset(table.labelled(args.label_set))
    classes = subset.classes(args.label_set)
    if len(classes) < 2:
        raise HemosightError(f"{args.label_set!r} needs labelled cells of at least two classes.")
    labels = np.array([classes.index(v) for v in subset.label_sets[args.label_set]])
    images = np.asarray(load_images(subset.paths, Preprocessing(input_size=args.input_size), cache_dir=Path(".cache")))
    config = BaselineConfig(
        input_size=args.input_size,
        head_epochs=args.head_epochs,
        finetune_epochs=args.finetune_epochs,
        head_learning_rate=args.head_learning_rate,
        finetune_learning_rate=args.finetune_learning_rate,
        batch_size=args.batch_size,
        weights=args.weights,
        seed=args.seed,
    )
    model = train_baseline(images, labels, classes, config, args.out.with_suffix(".work"))
    save_baseline(model, classes, args.out)
    print(f"wrote {args.out} ({len(classes)} classes, {len(images)} labelled cells)")
    return 0
