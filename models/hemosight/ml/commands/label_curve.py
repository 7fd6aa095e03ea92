"""`hemosight label-curve`: macro F1 against the number of labelled support cells."""

from __future__ import annotations

import argparse
import json

from hemosight.ml.cli import resolve_bundle
from hemosight.ml.errors import HemosightError


def run(args: argparse.Namespace) -> int:
    from hemosight.ml.bundle import ModelBundle
    from hemosight.ml.data import load_images, read_label_table
    from hemosight.ml.evaluation import label_curve
    from hemosight.ml.plots import plot_label_curve

    bundle = ModelBundle.load(resolve_bundle(args.model))
    table = read_label_table(args.data, args.images)
    if args.label_set not in table.label_sets:
        raise HemosightError(f"{args.data} has no column {args.label_set!r}.")
    subset = table.subset(table.labelled(args.label_set))
    embeddings = bundle.embed_prepared(load_images(subset.paths, bundle.preprocessing))
    fractions = [float(f) for f in args.fractions.split(",")]
    curve = label_curve(embeddings, subset.label_sets[args.label_set], fractions, folds=args.folds)
    curve.update(model_version=bundle.version, label_set=args.label_set, n=len(subset.paths))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "curve.json").write_text(json.dumps(curve, indent=2))
        plot_label_curve(curve, args.out / "curve.png", f"{args.label_set}, model {bundle.version}")
    print(json.dumps(curve, indent=2))
    return 0
