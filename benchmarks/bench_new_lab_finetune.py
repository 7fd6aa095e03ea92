"""A short self-supervised fine-tune of the encoder on one dev lab's cells (issue 14, zero labels).

    python -m benchmarks.bench_new_lab_finetune [--model BUNDLE] [--lab bccd] [--steps 150] [--max-minutes 25]

`models.adaptation.finetune_encoder` on the lab's prepared cells mixed with `--keep` PBC training
cells (robust augmentation, two views, semi-hard triplets, BatchNorm trainable), then the lab
scored with the bundle's classifier (0 labels) and with the lab's own labels (random, 5 seeds),
and PBC held-out macro F1 (a stratified `--check` subsample) before and after: the lab must not
cost what the model knew. TensorFlow encoder for both (no int8 of the fine-tuned weights).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from benchmarks.bench_new_lab import LABEL_SET, ROOT, Lab, decoded, git_commit, scores, summary
from benchmarks.datasets import DEFAULT_BUNDLE, PBC_DIR
from hemosight.ml.adaptation import finetune_encoder
from hemosight.ml.bundle import ModelBundle
from hemosight.ml.data import read_label_table, stratified_split
from hemosight.ml.imageio import decode_image


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=DEFAULT_BUNDLE)
    parser.add_argument("--lab", default="bccd")
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--keep", type=int, default=300)
    parser.add_argument("--check", type=int, default=600)
    parser.add_argument("--max-minutes", type=float, default=25)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "newlab-finetune.json")
    args = parser.parse_args()
    started = time.perf_counter()
    bundle = ModelBundle.load(args.model)
    bundle.encoder_backend = "tensorflow"
    prepare = bundle.preprocessing.prepare
    images, labels = decoded(args.lab)
    lab_prepared = np.stack([prepare(im) for im in images])
    table = read_label_table(PBC_DIR / "labels.csv")
    train, test = stratified_split(table.label_sets[LABEL_SET], 0.2, seed=0)
    rng = np.random.default_rng(0)
    keep_rows = rng.choice(train, args.keep, replace=False)
    check_rows = np.sort(rng.choice(test, args.check, replace=False))
    keep = np.stack([prepare(decode_image(table.paths[i].read_bytes())) for i in keep_rows])
    check = np.stack([prepare(decode_image(table.paths[i].read_bytes())) for i in check_rows])
    check_labels = np.asarray(table.label_sets[LABEL_SET])[check_rows]
    classifier = bundle.classifiers[LABEL_SET]

    def measure(tag: str) -> dict[str, object]:
        x = bundle.embed_prepared(lab_prepared)
        lab = Lab(x, labels, bundle)
        with_labels = {}
        for budget in (25, 100):
            runs = []
            for seed in range(5):
                mask = np.zeros(len(labels), bool)
                mask[np.random.default_rng(seed).permutation(len(labels))[:budget]] = True
                runs.append(lab.score(mask, "lab"))
            with_labels[str(budget)] = summary(runs)
        out = {
            "lab_zero_labels": scores(labels, classifier.predict(x)),
            "lab_random_lab_method": with_labels,
            "pbc_check": scores(check_labels, classifier.predict(bundle.embed_prepared(check))),
        }
        print(tag, json.dumps(out), flush=True)
        return out

    result: dict[str, object] = {"model": str(args.model), "lab": args.lab, "git_commit": git_commit()}
    result["before"] = measure("before")
    tick = time.perf_counter()
    weights = finetune_encoder(
        bundle.encoder_weights,
        bundle.architecture,
        lab_prepared,
        keep,
        ROOT / "runs" / f"finetune-{args.lab}",
        steps=args.steps,
        max_minutes=args.max_minutes,
    )
    result["finetune_seconds"] = time.perf_counter() - tick
    bundle.encoder_weights = weights
    del bundle._model, bundle._infer  # rebuilt from the fine-tuned weights
    result["after"] = measure("after")
    result["args"] = {k: str(v) for k, v in vars(args).items()}
    result["seconds"] = time.perf_counter() - started
    args.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
