"""Accuracy of an encoder's embedding on the PBC development data (benchmarks/datasets.py).

    python -m benchmarks.bench_embedding --run runs/default [--label-efficiency]

For a training run folder (encoder.weights.h5, split.json, checkpoints/config.json):
- held-out macro F1 for cell type (classifier fitted on the training split, scored on
  the 20 % held-out split that neither the encoder nor the classifier saw);
- mean held-out macro F1 over the 11 WBCAtt attributes;
- 5-fold stratified CV of the label-set classifier (mean ± std) — on all cells for a
  self-supervised embedding, on the held-out cells only for one that saw labels;
- with --label-efficiency (self-supervised embeddings only): macro F1 against the number
  of labelled cells, including the paper's 5.4 %.
Writes benchmarks/results/embedding-<run name>.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from benchmarks.datasets import PBC_DIR
from hemosight.ml.classifiers import LabelSetClassifier
from hemosight.ml.data import WBCATT_ATTRIBUTES, load_images, read_label_table
from hemosight.ml.evaluation import cross_validate, label_curve, macro_f1
from hemosight.ml.preprocessing import Preprocessing

ROOT = Path(__file__).resolve().parents[1]
DATA = PBC_DIR
ATTRIBUTES = WBCATT_ATTRIBUTES


def embed_run(run: Path, images: np.ndarray, input_size: int, architecture: str = "EfficientNetV2-B0") -> np.ndarray:
    cached = run / f"embeddings-{input_size}.npy"
    if cached.exists():
        return np.load(cached).astype(np.float32)
    from scripts.build_bundle import embed_all

    embeddings = embed_all(run / "encoder.weights.h5", images, input_size, architecture=architecture)
    np.save(cached, embeddings.astype(np.float16))
    return embeddings


def held_out_f1(embeddings: np.ndarray, values: np.ndarray, train: np.ndarray, test: np.ndarray) -> float:
    train = train[values[train] != ""]
    test = test[values[test] != ""]
    clf = LabelSetClassifier().fit(embeddings[train], values[train])
    return macro_f1(values[test], clf.predict(embeddings[test]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--label-efficiency", action="store_true")
    parser.add_argument("--input-size", type=int, help="embed at this size instead of the training size")
    args = parser.parse_args()
    started = time.monotonic()
    config = json.loads((args.run / "checkpoints" / "config.json").read_text())
    split = json.loads((args.run / "split.json").read_text())
    train, test = np.asarray(split["train"]), np.asarray(split["test"])
    table = read_label_table(DATA / "labels.csv")
    size = args.input_size or config["input_size"]
    images = load_images(table.paths, Preprocessing(input_size=size), cache_dir=ROOT / ".cache")
    embeddings = embed_run(args.run, images, size, config.get("architecture", "EfficientNetV2-B0"))
    cell_type = np.asarray(table.label_sets["cell_type"])
    saw_labels = config["objective"] != "ssl"

    result: dict = {"run": str(args.run), "objective": config["objective"], "input_size": size, "training": config}
    result["held_out_cell_type_macro_f1"] = held_out_f1(embeddings, cell_type, train, test)
    attributes = {a: held_out_f1(embeddings, np.asarray(table.label_sets[a]), train, test) for a in ATTRIBUTES}
    result["held_out_attributes_macro_f1"] = attributes
    result["held_out_attributes_mean_macro_f1"] = float(np.mean(list(attributes.values())))
    cv_rows = test if saw_labels else np.arange(len(cell_type))
    result["cv_5fold_cell_type"] = cross_validate(embeddings[cv_rows], cell_type[cv_rows], folds=5) | {
        "cells": "held-out split only" if saw_labels else "all cells"
    }
    if args.label_efficiency and not saw_labels:
        fractions = [0.006, 0.012, 0.025, 0.054, 0.1, 0.2, 0.5, 1.0]
        result["label_curve"] = label_curve(embeddings, cell_type, fractions, folds=5)
    result["seconds"] = time.monotonic() - started
    suffix = f"-{size}" if args.input_size else ""
    out = ROOT / "benchmarks" / "results" / f"embedding-{args.run.name}{suffix}.json"
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "training"}, indent=2))


if __name__ == "__main__":
    main()
