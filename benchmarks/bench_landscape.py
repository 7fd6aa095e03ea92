"""Landscape remap: placing a batch of new cells onto a ~15,000-point t-SNE map.

    python -m benchmarks.bench_landscape [--embeddings runs/default/embeddings.npy] [--queries 100]

Fits (once, cached in .cache/) a t-SNE map of all but `--queries` real embeddings,
then places the held-out queries with openTSNE `transform` under a sweep of settings.
For each setting: seconds for 100 queries and for 1 query, and placement quality.

Quality is measured against the full map: for a placed query, the share of its 10
nearest reference cells in embedding space that are among the 10 reference points
nearest to where it lands on the map (kNN preservation). The same figure for the
reference points themselves (which were part of the fit) is the ceiling a placement
can reach. Also the share of placed cells whose 10 nearest map points are mostly of
their own cell type (the lab-visible question: does the cell land in the right
cluster?), with the same figure for reference points as the ceiling. Writes benchmarks/results/landscape.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.datasets import PBC_DIR
from hemosight.ml.data import read_label_table
from hemosight.ml.landscape import Landscape
from hemosight.ml.neighbours import Neighbours

ROOT = Path(__file__).resolve().parents[1]
DATA = PBC_DIR

SETTINGS: list[dict[str, Any]] = [
    {"n_iter": 0, "k": 25},
    {"n_iter": 0, "k": 10},
    {"n_iter": 0, "k": 5},
    {"n_iter": 0, "k": 10, "initialization": "weighted"},
    {"n_iter": 10, "k": 10},
    {"n_iter": 25, "k": 25},
    {"n_iter": 100, "k": 25},
    {"n_iter": 250, "k": 25},
]


def knn_preservation(
    high: np.ndarray, refs_high: np.ndarray, low: np.ndarray, refs_low: np.ndarray, k: int = 10, skip_self: bool = False
) -> float:
    """Mean share of each point's k embedding-space neighbours that are its k map neighbours."""
    skip = int(skip_self)
    _, hi = Neighbours().fit(refs_high).kneighbors(high, k + skip)
    _, lo = Neighbours().fit(refs_low).kneighbors(low, k + skip)
    hi, lo = hi[:, skip:], lo[:, skip:]
    return float(np.mean([len(set(a) & set(b)) / k for a, b in zip(hi, lo, strict=True)]))


def cluster_agreement(map_neighbours: np.ndarray, reference_types: np.ndarray, true_types: np.ndarray) -> float:
    """Share of points whose nearest map points are mostly of the point's own cell type."""
    majority = [max(set(row), key=list(row).count) for row in reference_types[map_neighbours]]
    return float(np.mean(np.asarray(majority) == true_types))


def fitted_map(references: np.ndarray) -> np.ndarray:
    key = hashlib.sha256(references.tobytes()).hexdigest()[:16]
    cache = ROOT / ".cache" / f"landscape-map-{key}.npy"
    if cache.exists():
        return np.load(cache)
    tick = time.perf_counter()
    coordinates = Landscape(n_jobs=2).fit(references).coordinates_
    print(f"fitted the {len(references)}-point map in {time.perf_counter() - tick:.1f} s")
    cache.parent.mkdir(exist_ok=True)
    np.save(cache, coordinates)
    return coordinates


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--embeddings", type=Path, default=ROOT / "runs" / "default" / "embeddings.npy")
    parser.add_argument("--labels", type=Path, default=DATA / "labels.csv", help="rows follow --embeddings")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    embeddings = np.load(args.embeddings).astype(np.float32)
    cell_types = np.asarray(read_label_table(args.labels).label_sets["cell_type"])
    if len(cell_types) != len(embeddings):
        raise SystemExit(f"{args.labels} has {len(cell_types)} rows, {args.embeddings} {len(embeddings)}.")
    order = np.random.default_rng(0).permutation(len(embeddings))
    queries, references = embeddings[order[: args.queries]], embeddings[order[args.queries :]]
    query_types, reference_types = cell_types[order[: args.queries]], cell_types[order[args.queries :]]
    coordinates = fitted_map(references)

    tick = time.perf_counter()
    landscape = Landscape.from_map(references, coordinates)
    landscape.transform(queries[:1])  # what a worker pays once after loading a model
    load_seconds = time.perf_counter() - tick

    sample = np.random.default_rng(1).choice(len(references), 1000, replace=False)
    ceiling = knn_preservation(references[sample], references, coordinates[sample], coordinates, skip_self=True)
    _, around = Neighbours().fit(coordinates).kneighbors(coordinates[sample], 11)
    type_ceiling = cluster_agreement(around[:, 1:], reference_types, reference_types[sample])

    rows = []
    for setting in SETTINGS:
        landscape.transform(queries[:2], **setting)  # warm up
        batch_s, single_s = [], []
        for _ in range(args.repeat):
            tick = time.perf_counter()
            placed = landscape.transform(queries, **setting)
            batch_s.append(time.perf_counter() - tick)
            tick = time.perf_counter()
            landscape.transform(queries[:1], **setting)
            single_s.append(time.perf_counter() - tick)
        rows.append(
            {
                **setting,
                "seconds_batch": float(np.median(batch_s)),
                "seconds_single": float(np.median(single_s)),
                "knn_preservation_at_10": knn_preservation(queries, references, placed, coordinates),
                "cell_type_agreement": cluster_agreement(
                    Neighbours().fit(coordinates).kneighbors(placed, 10)[1], reference_types, query_types
                ),
            }
        )
        print(rows[-1])

    result = {
        "map_points": len(references),
        "queries": len(queries),
        "embeddings": str(args.embeddings),
        "map_load_seconds": load_seconds,
        "reference_knn_preservation_at_10": ceiling,
        "reference_cell_type_agreement": type_ceiling,
        "settings": rows,
    }
    out = ROOT / "benchmarks" / "results" / "landscape.json"
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
