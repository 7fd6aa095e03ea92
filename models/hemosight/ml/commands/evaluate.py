"""`hemosight evaluate`: macro F1/precision/recall, per-class scores and confusion matrix on labelled images."""

from __future__ import annotations

import argparse
import json

from hemosight.ml.cli import resolve_bundle
from hemosight.ml.errors import HemosightError


def run(args: argparse.Namespace) -> int:
    from hemosight.ml.bundle import ModelBundle
    from hemosight.ml.data import load_images, read_label_table
    from hemosight.ml.evaluation import classification_report
    from hemosight.ml.plots import plot_confusion_matrix

    bundle = ModelBundle.load(resolve_bundle(args.model))
    table = read_label_table(args.data, args.images)
    if args.label_set not in table.label_sets:
        raise HemosightError(f"{args.data} has no column {args.label_set!r}.")
    if args.label_set not in bundle.classifiers:
        raise HemosightError(
            f"model {bundle.version} has no classifier for {args.label_set!r}; it has {', '.join(bundle.classifiers)}."
        )
    rows = table.labelled(args.label_set)
    if len(rows) == 0:
        raise HemosightError(f"no row of {args.data} has a {args.label_set!r} label.")
    subset = table.subset(rows)
    images = load_images(subset.paths, bundle.preprocessing)
    embeddings = bundle.embed_prepared(images)
    classifier = bundle.classifiers[args.label_set]
    truth = subset.label_sets[args.label_set]
    unknown = sorted(set(truth) - set(classifier.classes_))
    report = classification_report(truth, list(classifier.predict(embeddings)), classifier.classes_)
    report.update(model_version=bundle.version, label_set=args.label_set, unknown_classes=unknown)
    if args.baseline:
        from hemosight.ml.supervised import load_baseline, predict_baseline

        model, baseline_classes = load_baseline(args.baseline)
        baseline_images = load_images(subset.paths, _baseline_preprocessing(bundle.preprocessing, model))
        predicted = predict_baseline(model, baseline_classes, baseline_images)
        report["baseline"] = classification_report(truth, predicted, baseline_classes) | {"model": str(args.baseline)}
    if args.out:
        report["plots"] = [str(plot_confusion_matrix(report, args.out / f"confusion-{args.label_set}.png"))]
    if args.format == "json":
        print(json.dumps(report, indent=2))
    else:
        print(f"model {bundle.version}, label set {args.label_set}, {report['n']} cells")
        print(
            f"macro F1 {report['macro_f1']:.4f}  precision {report['macro_precision']:.4f}  "
            f"recall {report['macro_recall']:.4f}  accuracy {report['accuracy']:.4f}"
        )
        for name, s in report["per_class"].items():
            print(f"  {name:<28} F1 {s['f1']:.3f}  P {s['precision']:.3f}  R {s['recall']:.3f}  n={s['support']}")
        if unknown:
            print(f"classes the model does not know (always wrong): {', '.join(unknown)}")
        if "baseline" in report:
            print(f"supervised baseline {args.baseline}: macro F1 {report['baseline']['macro_f1']:.4f}")
    return 0


def _baseline_preprocessing(preprocessing, model):
    """The bundle's preprocessing at the baseline's own input size."""
    from dataclasses import replace

    return replace(preprocessing, input_size=int(model.input_shape[1]))
