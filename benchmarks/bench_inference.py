"""Inference speed of a model bundle on this machine: single-image and batched images/s,
latency percentiles, and where the time of one `analyse` call goes.

    python -m benchmarks.bench_inference [--model BUNDLE] [--images DIR] [--repeat 3]

Uses the analyzer originals (HEMOSIGHT_ORIGINALS_DIR, benchmarks/datasets.py; else tests/fixtures/originals).
Writes benchmarks/results/inference.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from pathlib import Path

import numpy as np

from benchmarks.datasets import ORIGINALS_DIR
from hemosight.ml.bundle import ModelBundle
from hemosight.ml.cli import DEFAULT_BUNDLE
from hemosight.ml.imageio import decode_image

ROOT = Path(__file__).resolve().parents[1]
ORIGINALS = ORIGINALS_DIR
if not ORIGINALS.is_dir():
    ORIGINALS = ROOT / "tests" / "fixtures" / "originals"


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1000
    return {"p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95)), "mean_ms": float(ms.mean())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=DEFAULT_BUNDLE)
    parser.add_argument("--images", type=Path, default=ORIGINALS)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    bundle = ModelBundle.load(args.model)
    images = [decode_image(p.read_bytes()) for p in sorted(args.images.glob("*.jpg"))]
    bundle.analyse(images[:2])  # build the encoder, trace, fit the landscape affinities

    single = []
    for _ in range(args.repeat):
        for image in images:
            tick = time.perf_counter()
            bundle.analyse([image], landscape=False)
            single.append(time.perf_counter() - tick)

    pool = (images * (1 + 256 // len(images)))[:256]
    batched = []
    for _ in range(args.repeat):
        tick = time.perf_counter()
        for i in range(0, len(pool), args.batch):
            bundle.analyse(pool[i : i + args.batch], landscape=False)
        batched.append(time.perf_counter() - tick)

    stages: dict[str, float] = {}
    chunk = pool[:100]
    tick = time.perf_counter()
    prepared = np.stack([bundle.preprocessing.prepare(im) for im in chunk])
    stages["preprocess_100"] = time.perf_counter() - tick
    tick = time.perf_counter()
    embeddings = bundle.embed_prepared(prepared)
    stages["embed_100"] = time.perf_counter() - tick
    tick = time.perf_counter()
    for clf in bundle.classifiers.values():
        clf.predict_proba(embeddings)
    stages["classify_all_label_sets_100"] = time.perf_counter() - tick
    tick = time.perf_counter()
    bundle._neighbours().kneighbors(embeddings, 10)
    stages["neighbours_100"] = time.perf_counter() - tick
    tick = time.perf_counter()
    bundle._landscape().transform(embeddings)
    stages["landscape_remap_100"] = time.perf_counter() - tick

    result = {
        "model": str(args.model),
        "model_version": bundle.version,
        "input_size": bundle.preprocessing.input_size,
        "references": len(bundle.references),
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine()},
        "single_image": {"images_per_s": len(single) / sum(single), **percentiles(single)},
        "batched": {"batch": args.batch, "images_per_s": len(pool) / float(np.median(batched))},
        "stages_seconds": stages,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    out = ROOT / "benchmarks" / "results" / "inference.json"
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
