"""The ML commands of the `hemosight` command line: train, train-baseline, classify, evaluate, label-curve,
simulate-al, export-runtime (the command line is composed in hemosight/cli/__init__.py).

Heavy libraries (TensorFlow) are imported inside the commands that need them, so `hemosight --help`
and the service commands start fast.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable
from pathlib import Path

from hemosight.ml.errors import HemosightError

DEFAULT_BUNDLE = Path(__file__).resolve().parent / "default" / "hemosight-default.hsb"

Handler = Callable[[argparse.Namespace], int]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ML commands to the `hemosight` command line (composed in hemosight/cli/__init__.py)."""

    train = sub.add_parser("train", help="train a model bundle on a labels CSV (self-supervised encoder + classifiers)")
    train.add_argument(
        "--data", type=Path, required=True, help="labels CSV: a 'path' column and one column per label set"
    )
    train.add_argument("--images", type=Path, help="folder the CSV paths are relative to (default: the CSV's folder)")
    train.add_argument("--out", type=Path, required=True, help="where to write the bundle (.hsb)")
    train.add_argument("--objective", choices=["ssl", "ssl+labels", "labels"], default="ssl")
    train.add_argument("--label-set", default="cell_type", help="label set used by the label-aware objectives")
    train.add_argument("--input-size", type=int, default=224)
    train.add_argument("--epochs", type=int, default=30)
    train.add_argument("--batch-images", type=int, default=50, help="images per batch (two views each)")
    train.add_argument("--learning-rate", type=float, default=1e-5)
    train.add_argument("--weights", default=None, help="initial encoder weights: a Keras weights file or 'imagenet'")
    train.add_argument(
        "--batch-norm",
        choices=["trainable", "frozen"],
        default="trainable",
        help="batch normalisation while training: trainable (measured better) or frozen at the start's statistics",
    )
    train.add_argument("--checkpoints", type=Path, help="checkpoint folder (default: next to --out); reruns resume")
    train.add_argument("--references-per-class", type=int, default=400)
    train.add_argument("--version", help="model version name (default: derived from --out)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--threads", type=int, help="CPU threads TensorFlow may use (default: all cores)")
    train.set_defaults(handler=_lazy("hemosight.ml.commands.train", "run"))

    baseline = sub.add_parser("train-baseline", help="train the supervised baseline (encoder + softmax, two stages)")
    baseline.add_argument("--data", type=Path, required=True)
    baseline.add_argument("--images", type=Path)
    baseline.add_argument("--out", type=Path, required=True, help="where to write the model (.keras)")
    baseline.add_argument("--label-set", default="cell_type")
    baseline.add_argument("--input-size", type=int, default=224)
    baseline.add_argument("--head-epochs", type=int, default=5)
    baseline.add_argument("--finetune-epochs", type=int, default=25)
    baseline.add_argument("--head-learning-rate", type=float, default=1e-3)
    baseline.add_argument("--finetune-learning-rate", type=float, default=1e-5)
    baseline.add_argument("--batch-size", type=int, default=64)
    baseline.add_argument("--weights", default=None, help="initial encoder weights: a Keras weights file or 'imagenet'")
    baseline.add_argument("--seed", type=int, default=0)
    baseline.set_defaults(handler=_lazy("hemosight.ml.commands.train_baseline", "run"))

    classify = sub.add_parser("classify", help="classify image files")
    classify.add_argument("files", nargs="+", type=Path, metavar="FILE")
    classify.add_argument("--model", type=Path, default=None, help="model bundle (default: the shipped model)")
    classify.add_argument("--format", choices=["json", "csv"], default="json")
    classify.add_argument("--batch-size", type=int, default=32)
    classify.set_defaults(handler=_lazy("hemosight.ml.commands.classify", "run"))

    evaluate = sub.add_parser("evaluate", help="score a model on labelled images")
    evaluate.add_argument("--model", type=Path, default=None)
    evaluate.add_argument("--data", type=Path, required=True)
    evaluate.add_argument("--images", type=Path)
    evaluate.add_argument("--label-set", default="cell_type")
    evaluate.add_argument("--format", choices=["json", "text"], default="text")
    evaluate.add_argument("--out", type=Path, help="folder for PNG plots (confusion matrix)")
    evaluate.add_argument("--baseline", type=Path, help="a supervised baseline (.keras) to score side by side")
    evaluate.set_defaults(handler=_lazy("hemosight.ml.commands.evaluate", "run"))

    curve = sub.add_parser("label-curve", help="macro F1 against support-set size (paper Fig. 1)")
    curve.add_argument("--model", type=Path, default=None)
    curve.add_argument("--data", type=Path, required=True)
    curve.add_argument("--images", type=Path)
    curve.add_argument("--label-set", default="cell_type")
    curve.add_argument("--fractions", default="0.01,0.02,0.054,0.1,0.2,0.5,1.0")
    curve.add_argument("--folds", type=int, default=5)
    curve.add_argument("--out", type=Path, help="folder for curve.json and curve.png")
    curve.set_defaults(handler=_lazy("hemosight.ml.commands.label_curve", "run"))

    al = sub.add_parser("simulate-al", help="replay the active-learning experiment on labelled cells (paper, Fig. 4)")
    source = al.add_mutually_exclusive_group()
    source.add_argument("--model", type=Path, default=None, help="model bundle that embeds the images of --data")
    source.add_argument("--embeddings", type=Path, help=".npy embeddings, one row per row of --data (no encoder)")
    al.add_argument("--data", type=Path, required=True, help="labels CSV")
    al.add_argument("--images", type=Path)
    al.add_argument("--label-set", default="cell_type")
    al.add_argument("--strategies", default="uncertainty,margin,entropy,random")
    al.add_argument("--start", type=int, default=90, help="stratified labels to start from")
    al.add_argument("--step", type=int, default=90, help="labels added per iteration")
    al.add_argument("--iterations", type=int, default=25)
    al.add_argument("--folds", type=int, default=5)
    al.add_argument("--seed", type=int, default=0)
    al.add_argument("--out", type=Path, required=True, help="folder for simulate-al.json and learning-curves.png")
    al.set_defaults(handler=_lazy("hemosight.ml.commands.simulate_al", "run"))

    export = sub.add_parser(
        "export-runtime",
        help="add the encoder as OpenVINO IR (fp32 and int8) to a bundle, for fast CPU inference without TensorFlow",
    )
    export.add_argument("bundle", type=Path, metavar="BUNDLE")
    export.add_argument("--out", type=Path, help="write a new bundle here (default: replace BUNDLE atomically)")
    export.add_argument("--variants", default="fp32,int8", help="IRs to store: fp32, int8 (comma-separated)")
    export.add_argument(
        "--default", choices=["fp32", "bf16", "int8"], help="variant to run (default: int8 when exported)"
    )
    calibration = export.add_mutually_exclusive_group()
    calibration.add_argument("--data", type=Path, help="labels CSV of images to calibrate int8 on")
    calibration.add_argument("--prepared", type=Path, help=".npy of images already prepared at the bundle's input size")
    export.add_argument("--images", type=Path, help="folder the CSV paths are relative to")
    export.add_argument("--cache", type=Path, default=Path(".cache"), help="prepared-image cache folder for --data")
    export.add_argument("--split", type=Path, help="split.json: calibrate only on its 'train' rows")
    export.add_argument("--calibration-size", type=int, default=300)
    export.add_argument("--check-size", type=int, default=200, help="further images to compare runtime and Keras on")
    export.add_argument("--seed", type=int, default=0)
    export.set_defaults(handler=_lazy("hemosight.ml.commands.export_runtime", "run"))


def _lazy(module: str, function: str) -> Handler:
    def handler(args: argparse.Namespace) -> int:
        return getattr(__import__(module, fromlist=[function]), function)(args)

    return handler


def resolve_bundle(path: Path | None) -> Path:
    bundle = path or DEFAULT_BUNDLE
    if not bundle.is_file():
        raise HemosightError(f"model bundle {bundle} not found; pass --model or train one with 'hemosight train'.")
    return bundle


def write_records(records: list[dict], fmt: str, out=sys.stdout) -> None:
    if fmt == "json":
        json.dump(records, out, indent=2)
        out.write("\n")
        return
    flat = [{k: (json.dumps(v) if isinstance(v, (dict, list)) else v) for k, v in r.items()} for r in records]
    fieldnames = list(dict.fromkeys(["file", "label", "labels", "probabilities", "model_version", "error"]))
    extra = [k for r in flat for k in r if k not in fieldnames]
    writer = csv.DictWriter(out, fieldnames=fieldnames + list(dict.fromkeys(extra)), restval="")
    writer.writeheader()
    writer.writerows(flat)
