"""A new lab with few or no labels: accuracy on the cells it did not label, per dev lab (issue 14).

    python -m benchmarks.bench_new_lab [--model BUNDLE] [--seeds 5] [--labs bccd,cellavision_blog,pbc_shifted]
                                       [--out benchmarks/results/new-lab.json]

Dev labs: crosslab/bccd and cellavision_blog (other labs' crops, folders in benchmarks/datasets.py; development data,
never shipped or trained on) and "pbc_shifted", the held-out PBC cells
(`stratified_split(cell_type, 0.2, seed=0)`) under `models.shifts.LabShift` (stain re-mix, warm
lamp, 1.3× magnification, blur, JPEG). Offline: embeddings from `ModelBundle.embed_prepared`
(the bundle's default runtime, int8 for the shipped one), cached under runs/newlab/, and
classifiers from models/hemosight/ml/adaptation.py. For each lab, budget (`--budgets`, 0/10/25/100) and seed:
the lab labels `budget` cells chosen at random or by the new-lab queue
(`models.active_learning.lab_queue`: k-means cold start, then margin in rounds of 25) or by the
app's previous queue (lowest top probability of the bundle's classifier; deterministic), a
classifier is fitted and accuracy and macro F1 (over the lab's own classes) are measured on the
cells it did not label. Zero-label variants (`--zero`): embedding re-centring, lab-wide colour /
scale standardisation (`models.adaptation.LabStandardiser`) and AdaBN (`adapt_batch_norm`, on
the TensorFlow encoder), each also with labels when named in `--labelled-variants`.
`--render FILE.json` prints the RESULTS.md tables of a result file. A run on a 351-cell lab
takes ~15 min on a loaded 2-core CPU (the reference-set fits dominate: drop them with
`--methods lab,prototype,spreading` for a quick look).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from benchmarks.datasets import CROSSLAB_DIR, DEFAULT_BUNDLE, PBC_DIR
from hemosight.ml.active_learning import lab_queue, top_probability
from hemosight.ml.adaptation import (
    DEFAULT_LAB_SHARE,
    METHODS,
    LabStandardiser,
    adapt_batch_norm,
    fit_lab_classifier,
    recentre,
    reference_images,
)
from hemosight.ml.bundle import ModelBundle
from hemosight.ml.data import read_label_table, stratified_split
from hemosight.ml.imageio import decode_image
from hemosight.ml.shifts import LabShift

ROOT = Path(__file__).resolve().parents[1]
LABS = ("bccd", "cellavision_blog", "pbc_shifted")
BUDGETS = (0, 10, 25, 100)
#: Queue rounds after the cold start (the app shows a batch, the lab labels it, the classifier refits).
ROUND = 25
#: Leave at least this share of a lab unlabelled to score on.
MIN_TEST_SHARE = 0.2
#: Cells whose images re-estimate the BatchNorm statistics (the issue's adaptation size).
ADABN_CELLS = 2000
LABEL_SET = "cell_type"


# --- data ----------------------------------------------------------------------------------------------
def lab_table(lab: str) -> tuple[list[Path], np.ndarray, Callable[[np.ndarray], np.ndarray] | None]:
    """(image paths, cell-type labels, shift applied to decoded images or None)."""
    if lab in ("pbc_shifted", "pbc_clean"):
        table = read_label_table(PBC_DIR / "labels.csv")
        _, test = stratified_split(table.label_sets[LABEL_SET], 0.2, seed=0)
        paths = [table.paths[i] for i in test]
        labels = np.asarray(table.label_sets[LABEL_SET])[test]
        return paths, labels, LabShift() if lab == "pbc_shifted" else None
    table = read_label_table(CROSSLAB_DIR / lab / "labels.csv")
    return table.paths, np.asarray(table.label_sets[LABEL_SET]), None


def bundle_key(path: Path) -> str:
    stat = path.stat()
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    return hashlib.sha256(head + f"{stat.st_size}".encode()).hexdigest()[:12]


def decoded(lab: str) -> tuple[list[np.ndarray], np.ndarray]:
    paths, labels, shift = lab_table(lab)
    images = [decode_image(Path(p).read_bytes()) for p in paths]
    if shift is not None:
        images = [shift(im) for im in images]
    return images, labels


def embed_lab(
    bundle: ModelBundle, images: list[np.ndarray], standardiser: LabStandardiser | None, cache: Path
) -> tuple[np.ndarray, float]:
    """(embeddings, seconds to prepare and embed), cached."""
    if cache.exists():
        stored = np.load(cache)
        return stored["embeddings"], float(stored["seconds"])
    tick = time.perf_counter()
    prepare = bundle.preprocessing.prepare
    if standardiser is None:
        prepared = np.stack([prepare(im) for im in images])
    else:
        prepared = np.stack([standardiser.coloured(prepare(standardiser.zoomed(im))) for im in images])
    embeddings = bundle.embed_prepared(prepared)
    seconds = time.perf_counter() - tick
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, embeddings=embeddings, seconds=seconds)
    return embeddings, seconds


# --- scoring -------------------------------------------------------------------------------------------
def scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    classes = sorted(set(y_true.tolist()))
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=classes, average="macro", zero_division=0)),
    }


def per_class_f1(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    classes = sorted(set(y_true.tolist()))
    values = f1_score(y_true, y_pred, labels=classes, average=None, zero_division=0)
    return {c: float(v) for c, v in zip(classes, values, strict=True)}


def summary(runs: list[dict[str, float]]) -> dict[str, Any]:
    out: dict[str, Any] = {"runs": len(runs)}
    for key in ("accuracy", "macro_f1", "fit_seconds"):
        values = [r[key] for r in runs if key in r]
        if values:
            out[key] = {"mean": float(np.mean(values)), "std": float(np.std(values))}
    return out


class Lab:
    """One dev lab's embeddings, labels and the bundle's references: fits and scores a support set."""

    def __init__(self, x: np.ndarray, y: np.ndarray, bundle: ModelBundle) -> None:
        self.x, self.y = x, y
        self.x_ref = bundle.references.embeddings.astype(np.float32)
        self.y_ref = np.asarray(bundle.references.labels[LABEL_SET])
        self.base = bundle.classifiers[LABEL_SET]

    def fit(self, rows: np.ndarray, method: str):
        """`method`: a name of `METHODS`, optionally "@share" (lab_share) and/or "+align" (references moved
        onto the lab)."""
        name, _, options = method.partition("+")
        name, _, share = name.partition("@")
        return fit_lab_classifier(
            self.x[rows],
            self.y[rows],
            self.x_ref,
            self.y_ref,
            name,
            lab_share=float(share) if share else DEFAULT_LAB_SHARE,
            lab_cells=self.x if options == "align" or name == "spreading" else None,
        )

    def score(self, labelled: np.ndarray, method: str) -> dict[str, float]:
        rows = np.flatnonzero(labelled)
        tick = time.perf_counter()
        if len(rows) == 0:
            predicted = self.base.predict(self.x[~labelled])
        else:
            try:
                clf = self.fit(rows, method)
                predicted = clf.predict(self.x[~labelled])
            except ValueError:  # a lab-only head with one class labelled: it cannot classify yet
                predicted = self.base.predict(self.x[~labelled])
        return {**scores(self.y[~labelled], predicted), "fit_seconds": time.perf_counter() - tick}

    def probabilities(self, labelled: np.ndarray, method: str) -> np.ndarray | None:
        rows = np.flatnonzero(labelled)
        if len(rows) == 0:
            return None
        try:
            return self.fit(rows, method).predict_proba(self.x)
        except ValueError:
            return None


def budgets_for(n: int, budgets: tuple[int, ...]) -> list[int]:
    return [b for b in budgets if b <= (1 - MIN_TEST_SHARE) * n]


def queue_masks(lab: Lab, budgets: list[int], seed: int, method: str) -> dict[int, np.ndarray]:
    """Labelled masks at each budget when the lab follows `lab_queue` (rounds of `ROUND` after the cold start)."""
    n = len(lab.y)
    labelled = np.zeros(n, bool)
    masks = {0: labelled.copy()}
    stops = sorted({b for b in budgets if b > 0} | set(range(ROUND, max(budgets) + 1, ROUND)))
    for stop in stops:
        probabilities = lab.probabilities(labelled, method) if labelled.sum() >= ROUND else None
        labelled[lab_queue(lab.x, labelled, probabilities, stop - int(labelled.sum()), seed)] = True
        masks[stop] = labelled.copy()
    return {b: masks[b] for b in budgets}


def prefix_masks(order: np.ndarray, n: int, budgets: list[int]) -> dict[int, np.ndarray]:
    masks = {}
    for b in budgets:
        mask = np.zeros(n, bool)
        mask[order[:b]] = True
        masks[b] = mask
    return masks


def run_lab(
    lab: Lab, budgets: list[int], seeds: int, methods: tuple[str, ...], queue_methods: tuple[str, ...]
) -> dict[str, Any]:
    """Random selection scored with every method; the new-lab queue (its later rounds guided by the first
    of `queue_methods`) and the previous queue scored with each of `queue_methods`."""
    n = len(lab.y)
    random_runs: dict[str, dict[int, list[dict[str, float]]]] = {m: {b: [] for b in budgets} for m in methods}
    queue_runs: dict[str, dict[int, list[dict[str, float]]]] = {m: {b: [] for b in budgets} for m in queue_methods}
    covered: dict[str, dict[int, list[int]]] = {"random": {b: [] for b in budgets}, "queue": {b: [] for b in budgets}}
    for seed in range(seeds):
        random = prefix_masks(np.random.default_rng(seed).permutation(n), n, budgets)
        queued = queue_masks(lab, budgets, seed, queue_methods[0])
        for b in budgets:
            covered["random"][b].append(len(set(lab.y[random[b]])))
            covered["queue"][b].append(len(set(lab.y[queued[b]])))
            base = lab.score(random[b], methods[0]) if b == 0 else None  # 0 labels: the bundle's classifier
            for method in methods:
                random_runs[method][b].append(base if base is not None else lab.score(random[b], method))
            for method in queue_methods:
                queue_runs[method][b].append(base if base is not None else lab.score(queued[b], method))
    previous = prefix_masks(np.argsort(top_probability(lab.base.predict_proba(lab.x)), kind="stable"), n, budgets)
    return {
        "random": {m: {str(b): summary(random_runs[m][b]) for b in budgets} for m in methods},
        "queue": {m: {str(b): summary(queue_runs[m][b]) for b in budgets} for m in queue_methods},
        "previous_queue": {m: {str(b): summary([lab.score(previous[b], m)]) for b in budgets} for m in queue_methods},
        "classes_covered": {kind: {str(b): float(np.mean(v)) for b, v in per.items()} for kind, per in covered.items()}
        | {"previous_queue": {str(b): len(set(lab.y[previous[b]])) for b in budgets}, "lab": len(set(lab.y))},
    }


def zero_label_variant(
    model: Path, bundle: ModelBundle, images: list[np.ndarray], variant: str, thumbnails: list[np.ndarray], cache: Path
) -> tuple[np.ndarray, dict[str, Any]]:
    """Embeddings of a lab under a zero-label adaptation, and its details (cached with the embeddings).

    `variant`: "colour", "scale", "colour+scale" (`LabStandardiser`), "tensorflow" (no adaptation, the
    TensorFlow encoder: the baseline of AdaBN), "adabn" or "adabn@BLEND" (`adapt_batch_norm` on at
    most `ADABN_CELLS` of the lab's cells, then the TensorFlow encoder).
    """
    if cache.exists():
        stored = np.load(cache, allow_pickle=False)
        return stored["embeddings"], json.loads(str(stored["details"]))
    tick = time.perf_counter()
    prepare = bundle.preprocessing.prepare
    details: dict[str, Any] = {}
    if variant in ("colour", "scale", "colour+scale"):
        sample = [prepare(images[i]) for i in np.random.default_rng(0).permutation(len(images))[:400]]
        standardiser = LabStandardiser.estimate(
            sample, thumbnails, colour="colour" in variant, scale="scale" in variant
        )
        details["zoom_factor"] = standardiser.zoom_factor
        details["estimate_seconds"] = time.perf_counter() - tick
        prepared = np.stack([standardiser.coloured(prepare(standardiser.zoomed(im))) for im in images])
        embeddings = bundle.embed_prepared(prepared)
    elif variant == "tensorflow" or variant.startswith("adabn"):
        adapted = ModelBundle.load(model)
        adapted.encoder_backend = "tensorflow"
        adapted._encoder()
        prepared = np.stack([prepare(im) for im in images])
        if variant.startswith("adabn"):
            blend = float(variant.partition("@")[2] or 1.0)
            rows = np.random.default_rng(0).permutation(len(prepared))[:ADABN_CELLS]
            details["adabn_cells"] = len(rows)
            details["batch_norm_layers"] = adapt_batch_norm(adapted._model, prepared[np.sort(rows)], blend=blend)
            details["adapt_seconds"] = time.perf_counter() - tick
        embeddings = adapted.embed_prepared(prepared)
    else:
        raise ValueError(f"Unknown zero-label variant {variant!r}.")
    details["seconds"] = time.perf_counter() - tick
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, embeddings=embeddings, details=json.dumps(details))
    return embeddings, details


def _cell(summary_entry: dict[str, Any] | None, key: str) -> str:
    if not summary_entry or key not in summary_entry:
        return "–"
    value = summary_entry[key]
    return f"{value['mean']:.3f} ± {value['std']:.3f}" if value["std"] > 0 else f"{value['mean']:.3f}"


def markdown(result: dict[str, Any]) -> str:
    """RESULTS.md tables from a result file: accuracy (macro F1) per lab, budget, method and selection."""
    lines = []
    for name, lab in result["labs"].items():
        budgets = [str(b) for b in lab.get("budgets", [])]
        lines += [f"**{name}** ({lab['cells']} cells: {lab['classes']})", ""]
        zero = lab["zero_labels"]
        lines += [
            "| zero-label variant | accuracy | macro F1 | + re-centred accuracy | details |",
            "|---|---|---|---|---|",
        ]
        for variant, entry in zero.items():
            if variant == "recentre":
                continue
            recentred = zero["recentre"] if variant == "none" else entry.get("recentre", {})
            details = {k: round(v, 2) for k, v in entry.items() if k.endswith(("seconds", "factor", "cells"))}
            lines.append(
                f"| {variant} | {entry['accuracy']:.3f} | {entry['macro_f1']:.3f} | "
                f"{recentred.get('accuracy', float('nan')):.3f} | {details} |"
            )
        lines.append("")
        if len(budgets) < 2:
            continue
        lines += ["| selection · method | " + " | ".join(f"{b} labels" for b in budgets) + " |"]
        lines += ["|---" * (len(budgets) + 1) + "|"]
        for kind in ("random", "queue", "previous_queue"):
            for method, per in lab.get(kind, {}).items():
                for key in ("accuracy", "macro_f1"):
                    cells = " | ".join(_cell(per.get(b), key) for b in budgets)
                    lines.append(f"| {kind} · {method} · {key} | {cells} |")
        covered = lab.get("classes_covered", {})
        lines.append(
            "| classes covered (random / queue / previous) | "
            + " | ".join(
                f"{covered['random'][b]:.1f} / {covered['queue'][b]:.1f} / {covered['previous_queue'][b]}"
                for b in budgets
            )
            + f" |  (of {covered.get('lab')})"
        )
        lines.append("")
    return "\n".join(lines)


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_BUNDLE)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--labs", default=",".join(LABS))
    parser.add_argument("--methods", default=",".join(METHODS), help="also NAME@LAB_SHARE, NAME+align")
    parser.add_argument("--queue-methods", default="lab,spreading", help="the first one guides the queue")
    parser.add_argument(
        "--zero", default="colour,scale,colour+scale,tensorflow,adabn,adabn@0.5", help="zero-label variants"
    )
    parser.add_argument("--labelled-variants", default="", help="zero-label variants also measured with labels")
    parser.add_argument("--budgets", default=",".join(map(str, BUDGETS)))
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "new-lab.json")
    parser.add_argument("--cache", type=Path, default=ROOT / "runs" / "newlab")
    parser.add_argument("--render", type=Path, help="print the markdown tables of an existing result file and stop")
    args = parser.parse_args()
    if args.render:
        print(markdown(json.loads(args.render.read_text())))
        return
    started = time.perf_counter()
    bundle = ModelBundle.load(args.model)
    cache = args.cache / bundle_key(args.model)
    methods = tuple(m for m in args.methods.split(",") if m)
    queue_methods = tuple(m for m in args.queue_methods.split(",") if m)
    result: dict[str, Any] = {
        "command": "python -m benchmarks.bench_new_lab "
        + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k not in ("out", "cache")),
        "model": str(args.model),
        "model_version": bundle.version,
        "backend": bundle.backend,
        "git_commit": git_commit(),
        "seeds": list(range(args.seeds)),
        "budgets": [int(b) for b in args.budgets.split(",")],
        "labs": {},
    }
    x_ref = bundle.references.embeddings.astype(np.float32)
    thumbnails = reference_images(bundle.references.thumbnails)
    for name in [lab for lab in args.labs.split(",") if lab]:
        print(f"[{time.perf_counter() - started:5.0f} s] {name}", flush=True)
        images, labels = decoded(name)
        entry: dict[str, Any] = {"cells": len(labels), "classes": dict(zip(*np.unique(labels, return_counts=True)))}
        entry["classes"] = {str(k): int(v) for k, v in entry["classes"].items()}
        x, seconds = embed_lab(bundle, images, None, cache / f"{name}-none.npz")
        base_pred = bundle.classifiers[LABEL_SET].predict(x)
        zero: dict[str, Any] = {"none": {**scores(labels, base_pred), "embed_seconds": seconds}}
        zero["none"]["per_class_f1"] = per_class_f1(labels, base_pred)
        zero["recentre"] = scores(labels, bundle.classifiers[LABEL_SET].predict(recentre(x, x_ref)))
        for variant in [v for v in args.zero.split(",") if v and v != "none"]:
            xs, details = zero_label_variant(
                args.model, bundle, images, variant, thumbnails, cache / f"{name}-zero-{variant}.npz"
            )
            predicted = bundle.classifiers[LABEL_SET].predict(xs)
            zero[variant] = {
                **scores(labels, predicted),
                **details,
                "recentre": scores(labels, bundle.classifiers[LABEL_SET].predict(recentre(xs, x_ref))),
            }
            print(f"  zero labels {variant}: {zero[variant]['accuracy']:.3f} {details}", flush=True)
            if variant in args.labelled_variants.split(","):
                variant_lab = Lab(xs, labels, bundle)
                zero[variant]["labelled"] = run_lab(
                    variant_lab,
                    budgets_for(len(labels), tuple(int(b) for b in args.budgets.split(","))),
                    args.seeds,
                    queue_methods,
                    queue_methods,
                )
        entry["zero_labels"] = zero
        print(
            f"  zero labels: {zero['none']['accuracy']:.3f}, re-centred {zero['recentre']['accuracy']:.3f}", flush=True
        )
        lab = Lab(x, labels, bundle)
        entry["budgets"] = budgets_for(len(labels), tuple(int(b) for b in args.budgets.split(",")))
        if len(entry["budgets"]) > 1:
            entry |= run_lab(lab, entry["budgets"], args.seeds, methods, queue_methods)
        result["labs"][name] = entry
        for kind in ("random", "queue"):
            for method, per in entry.get(kind, {}).items():
                row = "  ".join(f"{b}:{v['accuracy']['mean']:.3f}" for b, v in per.items())
                print(f"  {kind:6s} {method:10s} {row}", flush=True)
    if "pbc_shifted" in result["labs"]:
        images, labels = decoded("pbc_clean")
        x, _ = embed_lab(bundle, images, None, cache / "pbc_clean-none.npz")
        predicted = bundle.classifiers[LABEL_SET].predict(x)
        result["robust_before_adaptation"] = {
            "clean": {**scores(labels, predicted), "per_class_f1": per_class_f1(labels, predicted)},
            "shifted": result["labs"]["pbc_shifted"]["zero_labels"]["none"],
            "shift": repr(LabShift()),
        }
    result["seconds"] = time.perf_counter() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(markdown(result))
    print(f"wrote {args.out} in {result['seconds']:.0f} s")


if __name__ == "__main__":
    main()
