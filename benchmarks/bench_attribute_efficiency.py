"""Label efficiency on the 11 WBCAtt attributes: labels that no encoder was trained on.

    python -m benchmarks.bench_attribute_efficiency [--model BUNDLE | --embeddings FILE.npy] [--out FILE.json]

The cell-type label-efficiency figure needs a self-supervised encoder (any encoder that saw
cell-type labels would make it meaningless); the attribute labels were never seen by any of
our encoders, so the shipped one can be measured on them directly. For each attribute:
5-fold stratified CV over the annotated cells, the label-set classifier fitted on 5.4 % (the
paper's fraction) and on 100 % of each training fold. Caveat in the reading: some
attributes (granule type, granule colour) follow the cell type closely.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from benchmarks.bench_embedding import ATTRIBUTES, DATA, ROOT
from benchmarks.datasets import DEFAULT_BUNDLE
from hemosight.ml.data import load_images, read_label_table
from hemosight.ml.evaluation import label_curve

FRACTIONS = (0.054, 1.0)


def embed_with_bundle(bundle_path: Path, paths: list[Path]) -> np.ndarray:
    from hemosight.ml.bundle import ModelBundle

    bundle = ModelBundle.load(bundle_path)
    images = load_images(paths, bundle.preprocessing, cache_dir=ROOT / ".cache")
    return bundle.embed_prepared(np.asarray(images))


def main() -> None:
    parser = argparse.ArgumentParser()
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--model", type=Path, default=DEFAULT_BUNDLE)
    source.add_argument("--embeddings", type=Path, help="rows follow the PBC labels.csv (benchmarks/datasets.py)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "attribute-efficiency.json")
    args = parser.parse_args()
    started = time.monotonic()
    table = read_label_table(DATA / "labels.csv")
    if args.embeddings is not None:
        embeddings = np.load(args.embeddings).astype(np.float32)
    else:
        embeddings = embed_with_bundle(args.model, table.paths)
    per_attribute = {}
    for attribute in ATTRIBUTES:
        values = np.asarray(table.label_sets[attribute])
        rows = np.flatnonzero(values != "")
        curve = label_curve(embeddings[rows], values[rows], FRACTIONS, folds=5)
        per_attribute[attribute] = {str(p["fraction"]): p for p in curve["points"]}
    means = {str(f): float(np.mean([per_attribute[a][str(f)]["macro_f1_mean"] for a in ATTRIBUTES])) for f in FRACTIONS}
    result = {
        "source": str(args.embeddings or args.model),
        "mean_macro_f1": means,
        "drop_points_at_5.4%": 100 * (means["1.0"] - means["0.054"]),
        "per_attribute": per_attribute,
        "seconds": time.monotonic() - started,
    }
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "per_attribute"}, indent=2))


if __name__ == "__main__":
    main()
