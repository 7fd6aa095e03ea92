"""Refit + re-score time of a label set after a correction, and the classifier's accuracy against the reference.

    python -m benchmarks.bench_refit [--sizes 2000,12305,16000] [--results 16000] [--baseline]

For each support-set size the whole worker path runs against a real SQLite store:
`Refitter.refit` reads the lab's labels and the stored float16 embeddings, fits the
label-set classifier on reference cells + the lab's labels, stores the new classifier
version and re-scores `--results` stored results. Embeddings are the real ones in
runs/default/embeddings.npy (rows of runs/default/split.json / the PBC labels) when they
exist and the split has that many training cells (12,305), else synthetic 1280-d
L2-normalised embeddings with class structure in a 96-d subspace (8 unbalanced, overlapping
classes). `--baseline` also fits scikit-learn's
StandardScaler + LinearSVC (liblinear primal) + CalibratedClassifierCV(sigmoid, 3 folds),
which the previous classifier reproduced, and compares time and held-out macro F1.
Writes benchmarks/results/refit.md (the last run; history in git) and prints it.

    python -m benchmarks.bench_refit --corrections 12 [--busy] [--sizes 16000]

Correction → updated grid, end to end: a real worker (`Worker.run`, as `hemosight-worker` runs it, in
its own process) serves a real SQLite store holding `--results` classified cells, a 200-cell slide
among them; the benchmark's own store connection on the same database plays the API. Each
correction labels one more slide cell (its true class) as the API does (`set_labels`, which wakes
the worker), then polls the label set as the app does (its classifier version, or `updating`
turning false) and reads the slide's grid. The time from the label to the grid read is one sample;
p50/p95 over the corrections, the first (cold) one reported apart. The worker's bundle is a
stand-in carrying the support cells and the classifier fitted on them (no encoder: nothing is
uploaded); `--busy` runs a classification batch in another process all along.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from hemosight.core.store.base import Image, LabelEvent, LabelSet, ModelVersion, NeighbourRecord, Project, Result
from hemosight.core.store.sqlite import SQLiteStore
from hemosight.ml.bundle import SupportSet
from hemosight.ml.classifiers import LabelSetClassifier
from hemosight.ml.evaluation import macro_f1
from hemosight.worker.refit import Refitter

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "runs" / "default"
LAB_LABELS = 200


def synthetic(n: int, seed: int, dim: int = 1280, classes: int = 8) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(np.random.default_rng(1).normal(size=(dim, 96)))[0]
    centres = np.random.default_rng(2).normal(0, 0.3, (classes, 96))
    weights = np.array([0.05, 0.1, 0.2, 0.15, 0.1, 0.1, 0.2, 0.1])[:classes]
    y = rng.choice(classes, n, p=weights / weights.sum())
    spread = rng.normal(0, 0.9, (n, 96)) * np.random.default_rng(3).uniform(0.5, 1.5, classes)[y, None]
    x = (centres[y] + spread) @ basis.T + rng.normal(0, 0.15, (n, dim))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), np.array([f"class_{i}" for i in y])


def real_embeddings() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str] | None:
    """The trained model's PBC embeddings: (train x, train y, test x, test y) by runs/default/split.json."""
    from benchmarks.datasets import PBC_DIR

    embeddings, split = RUN / "embeddings.npy", RUN / "split.json"
    labels_csv = PBC_DIR / "labels.csv"
    if not (embeddings.exists() and split.exists() and labels_csv.exists()):
        return None
    from hemosight.ml.data import read_label_table

    x = np.load(embeddings).astype(np.float32)
    y = np.asarray(read_label_table(labels_csv).label_sets["cell_type"])
    if len(x) != len(y):
        return None
    rows = json.loads(split.read_text())
    train, test = np.asarray(rows["train"]), np.asarray(rows["test"])
    return x[train], y[train], x[test], y[test], f"{embeddings} (train/test of split.json)"


async def refit_once(x: np.ndarray, y: np.ndarray, support: int, results: int, workdir: Path) -> dict[str, Any]:
    """Support = `support - LAB_LABELS` reference cells + `LAB_LABELS` lab labels; `results` stored results."""
    store = SQLiteStore(workdir / f"store-{support}")
    await store.open()
    try:
        project = await store.create_project(Project(name="bench", owner_id="u"))
        rows = np.arange(results) % len(x)
        image_ids = await _insert_results(store, project, x[rows], y[rows])
        reference_ids = [f"ref-{i}" for i in range(support - LAB_LABELS)]
        cells = SupportSet(
            ids=reference_ids,
            labels={"cell_type": list(y[: support - LAB_LABELS])},
            embeddings=x[: support - LAB_LABELS].astype(np.float16),
        )
        # The bundle's classifier is the recipe on its support set, as models/hemosight/ml/builder.py fits it: the
        # refit is then compared with it on the cells both rest on (the score gate runs, as in the worker).
        shipped = LabelSetClassifier().fit(*cells.cells("cell_type")[1:], reference_ids)
        bundle = SimpleNamespace(support_set=lambda: cells, support=cells, classifiers={"cell_type": shipped})
        await store.ensure_label_set(LabelSet(name="cell_type", classes=sorted(set(y)), kind="model"))
        await store.set_labels(
            [
                LabelEvent(image_ids[i], project.id, "cell_type", str(y[rows[i]]), "reviewer", "u")
                for i in range(LAB_LABELS)
            ]
        )
        model = ModelVersion("bench", "", "", "cell_type", {"cell_type": sorted(set(y))})
        label_set = await store.get_label_set("cell_type")
        assert label_set is not None
        started = time.perf_counter()
        refitter = Refitter(store)
        vectors = await store.list_result_vectors("bench")
        read_seconds = time.perf_counter() - started
        version = await refitter.refit(label_set, bundle, model, vectors)  # type: ignore[arg-type]
        refit_done = time.perf_counter()
        await store.list_image_entries(project.id)  # what the grid's refetch reads once the refit is done
        grid_seconds = time.perf_counter() - refit_done
        total = time.perf_counter() - started
        assert version is not None, "the refit was refused by the score gate; see the label set's message"
        return {
            "grid_seconds": round(grid_seconds, 2),
            "support_cells": version.support_size,
            "results_rescored": results,
            "read_seconds": round(read_seconds, 2),
            "fit_seconds": version.metrics["fit_seconds"],
            "rescore_seconds": version.metrics["rescore_seconds"],
            "total_seconds": round(total, 2),
        }
    finally:
        await store.close()


async def _insert_results(
    store: SQLiteStore, project: Project, x: np.ndarray, y: np.ndarray, offset: int = 0
) -> list[str]:
    """Results written straight into the tables (the upload path is benchmarked elsewhere)."""
    classes = sorted(set(y))
    ids = []

    def insert() -> None:
        conn = store.conn
        conn.execute("BEGIN IMMEDIATE")
        for i, (vector, label) in enumerate(zip(x, y, strict=True)):
            image = Image(project.id, f"cell-{offset + i}.jpg", f"{offset + i:064x}", 1, "JPEG", 360, 360, "u")
            ids.append(image.id)
            stamp = image.uploaded_at.isoformat()
            conn.execute(
                "INSERT INTO images VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (image.id, project.id, image.filename, image.sha256, 1, "JPEG", 360, 360, "u", stamp),
            )
            conn.execute(
                "INSERT INTO jobs (id, image_id, project_id, status, attempts, created_at, updated_at)"
                " VALUES (?, ?, ?, 'done', 1, ?, ?)",
                (f"job-{image.id}", image.id, project.id, stamp, stamp),
            )
            probabilities = {c: 1.0 / len(classes) for c in classes}
            result = Result(
                image.id,
                project.id,
                f"job-{image.id}",
                "bench",
                "cell_type",
                {"cell_type": str(label)},
                {"cell_type": probabilities},
                [NeighbourRecord("r", str(label), 0.1)],
                (0.0, 0.0),
            )
            conn.execute(
                "INSERT INTO results (image_id, project_id, job_id, model_version, default_label_set, labels,"
                " probabilities, neighbours, landscape_x, landscape_y, created_at, embedding)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    image.id,
                    project.id,
                    result.job_id,
                    "bench",
                    "cell_type",
                    json.dumps(result.labels),
                    json.dumps(result.probabilities),
                    json.dumps([["r", str(label), 0.1]]),
                    0.0,
                    0.0,
                    stamp,
                    vector.astype(np.float16).tobytes(),
                ),
            )
        conn.execute("COMMIT")

    await store._run(insert)
    return ids


SLIDE = 200
POLL_SECONDS = 0.05


async def corrections_once(
    x: np.ndarray, y: np.ndarray, support: int, results: int, corrections: int, workdir: Path
) -> dict[str, Any]:
    """`support` bundle support cells (the classifier's), `results` stored results (a slide of `SLIDE` among them)."""
    store = SQLiteStore(workdir / "store")  # the API's connection; the worker runs in its own process
    await store.open()
    worker: subprocess.Popen[bytes] | None = None
    try:
        slide = await store.create_project(Project(name="slide", owner_id="u"))
        others = await store.create_project(Project(name="others", owner_id="u"))
        rows = np.arange(results) % len(x)
        slide_ids = await _insert_results(store, slide, x[rows[:SLIDE]], y[rows[:SLIDE]])
        await _insert_results(store, others, x[rows[SLIDE:]], y[rows[SLIDE:]], offset=SLIDE)
        ids = [f"ref-{i}" for i in range(support)]
        cells = SupportSet(ids=ids, labels={"cell_type": list(y[:support])}, embeddings=x[:support].astype(np.float16))
        shipped = LabelSetClassifier().fit(*cells.cells("cell_type")[1:], ids)
        arrays: dict[str, Any] = {
            "ids": np.asarray(ids),
            "labels": np.asarray(cells.labels["cell_type"]),
            "embeddings": cells.embeddings,
            **shipped.to_arrays("c"),
        }
        np.savez(workdir / "bundle.npz", **arrays)
        classes = sorted(set(y))
        await store.register_model_version(
            ModelVersion("bench", str(workdir / "bench.hsb"), "0" * 64, "cell_type", {"cell_type": classes})
        )
        await store.activate_model_version("bench")
        await store.ensure_label_set(LabelSet(name="cell_type", classes=classes, kind="model", status="model"))
        loaded = time.perf_counter()
        worker = subprocess.Popen([sys.executable, "-c", WORKER_PROCESS, str(workdir)], cwd=ROOT)
        while not (workdir / "worker-ready").exists():
            if worker.poll() is not None:
                raise RuntimeError("The worker process stopped before loading its model.")
            await asyncio.sleep(0.1)
        load_seconds = time.perf_counter() - loaded
        samples: list[dict[str, Any]] = []
        for i in range(corrections):
            versions_before = len(await store.list_classifier_versions("cell_type"))
            started = time.perf_counter()
            await store.set_labels([LabelEvent(slide_ids[i], slide.id, "cell_type", str(y[rows[i]]), "reviewer", "u")])
            while True:  # as the app (frontend/src/pages/labelling.ts refitFinished), polled more often
                await asyncio.sleep(POLL_SECONDS)
                now = await store.get_label_set("cell_type")
                versions = await store.list_classifier_versions("cell_type")
                assert now is not None
                if len(versions) != versions_before or now.fitted_labels_version == now.labels_version:
                    break
            await store.list_image_entries(slide.id)  # the grid's refetch
            seconds = time.perf_counter() - started
            used = len(versions) != versions_before
            while True:  # the refit's remaining writes (other projects) finish before the next correction
                now = await store.get_label_set("cell_type")
                if now is not None and now.fitted_labels_version == now.labels_version:
                    break
                await asyncio.sleep(POLL_SECONDS)
            samples.append(
                {"seconds": round(seconds, 3), "used": used}
                | ({"stages": versions[-1].metrics.get("stage_seconds")} if used else {"message": now.message})
            )
            print(json.dumps(samples[-1]), flush=True)
        warm = sorted(s["seconds"] for s in samples[1:]) or [samples[0]["seconds"]]
        return {
            "support_cells": support + 1,
            "results": results,
            "corrections": corrections,
            "refits_used": sum(s["used"] for s in samples),
            "first_seconds": samples[0]["seconds"],
            "p50_seconds": round(float(np.percentile(warm, 50)), 2),
            "p95_seconds": round(float(np.percentile(warm, 95)), 2),
            "max_seconds": max(warm),
            "model_load_seconds": round(load_seconds, 2),
            "samples": samples,
        }
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(30)
        await store.close()


WORKER_PROCESS = """
import asyncio, signal, sys
from pathlib import Path
from types import SimpleNamespace
import numpy as np
from hemosight.core.store.sqlite import SQLiteStore
from hemosight.ml.bundle import SupportSet
from hemosight.ml.classifiers import LabelSetClassifier
from hemosight.worker.runner import Worker, WorkerConfig

workdir = Path(sys.argv[1])
saved = dict(np.load(workdir / "bundle.npz"))
labels = {"cell_type": [str(v) for v in saved["labels"]]}
cells = SupportSet([str(i) for i in saved["ids"]], labels, saved["embeddings"])
bundle = SimpleNamespace(  # a stand-in: the support cells and their classifier, no encoder (nothing is uploaded)
    support_set=lambda: cells, support=cells, default_label_set="cell_type", version="bench",
    classifiers={"cell_type": LabelSetClassifier.from_arrays(saved, "c")},
    embed=lambda images: np.zeros((len(images), cells.embeddings.shape[1]), np.float32), quality_gate=lambda: None,
)

async def main():
    store = SQLiteStore(workdir / "store")
    await store.open()
    worker = Worker(store, WorkerConfig(), load_bundle=lambda path: bundle)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    task = asyncio.create_task(worker.run(stop))
    while worker.bundle is None:
        await asyncio.sleep(0.05)
    (workdir / "worker-ready").write_text("1")
    await task
    await store.close()

asyncio.run(main())
"""


def baseline(x: np.ndarray, y: np.ndarray, xt: np.ndarray, yt: np.ndarray) -> dict[str, Any]:
    """scikit-learn's own pipeline, which the previous LabelSetClassifier reproduced (liblinear primal)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = CalibratedClassifierCV(
            make_pipeline(StandardScaler(), LinearSVC(C=0.1, dual=False, tol=1e-3)),
            method="sigmoid",
            cv=3,
            ensemble=False,
        ).fit(x, y)
    return {"fit_seconds": round(time.perf_counter() - started, 2), "macro_f1": macro_f1(yt, model.predict(xt))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="2000,12305,16000")
    parser.add_argument("--results", type=int, default=16000, help="stored results re-scored after each refit")
    parser.add_argument("--test", type=int, default=4000, help="held-out cells for macro F1")
    parser.add_argument("--baseline", action="store_true", help="also time scikit-learn's liblinear pipeline")
    parser.add_argument(
        "--busy", action="store_true", help="with a classification batch running: another process embeds batches"
    )
    parser.add_argument(
        "--corrections", type=int, default=0, help="end to end: this many corrections through a running worker"
    )
    args = parser.parse_args()
    classifier_process = start_classifying() if args.busy else None
    if args.corrections:
        try:
            run_corrections(args)
        finally:
            if classifier_process is not None:
                classifier_process.terminate()
                classifier_process.wait(30)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    real = real_embeddings()
    rows = []
    for size in sizes:
        if real is not None and size <= len(real[0]):
            x_train, y_train, xt, yt, source = real
            order = np.random.default_rng(size).permutation(len(x_train))[:size]
            x, y = x_train[order], y_train[order]
        else:  # more support cells than the real training split has
            x_all, y_all = synthetic(size + args.test, seed=size)
            x, y, xt, yt = x_all[:size], y_all[:size], x_all[size:], y_all[size:]
            source = "synthetic 1280-d, 8 classes"
        with tempfile.TemporaryDirectory() as tmp:
            timing = asyncio.run(refit_once(x, y, size, args.results, Path(tmp)))
        started = time.perf_counter()
        classifier = LabelSetClassifier().fit(x, y)
        row: dict[str, Any] = {
            **timing,
            "classifier_fit_seconds": round(time.perf_counter() - started, 2),
            "macro_f1": round(macro_f1(yt, classifier.predict(xt)), 4),
            "embeddings": source,
        }
        if args.baseline:
            row["baseline"] = baseline(x, y, xt, yt)
        rows.append(row)
        print(json.dumps(row), flush=True)
    if classifier_process is not None:
        classifier_process.terminate()
        classifier_process.wait(30)
    _write_result(rows, args)


def run_corrections(args: argparse.Namespace) -> None:
    """Correction → updated grid through a running worker, per support-set size (synthetic cells)."""
    load = os.getloadavg()[0]
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        x, y = synthetic(max(size, args.results), seed=size)
        with tempfile.TemporaryDirectory() as tmp:
            rows.append(asyncio.run(corrections_once(x, y, size - 1, args.results, args.corrections, Path(tmp))))
        print(json.dumps({k: v for k, v in rows[-1].items() if k != "samples"}), flush=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    summary = {
        "command": "python -m benchmarks.bench_refit --corrections "
        + f"{args.corrections} --sizes {args.sizes}"
        + (" --busy" if args.busy else ""),
        "busy": args.busy,
        "load_average_at_start": round(load, 1),
        "commit": commit.strip(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "rows": rows,
    }
    name = f"correction-latency{'-busy' if args.busy else ''}.json"
    (ROOT / "benchmarks" / "results" / name).write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "rows"}))


BUSY_LOOP = """
import numpy as np
from hemosight.ml.bundle import ModelBundle
bundle = ModelBundle.load("models/hemosight/ml/default/hemosight-default.hsb")
rng = np.random.default_rng(0)
cells = [rng.integers(0, 256, (360, 360, 3), dtype=np.uint8) for _ in range(32)]
while True:
    bundle.analyse(cells)  # a worker's classification batch of 32 uploads, over and over
"""


def start_classifying() -> subprocess.Popen[bytes]:
    """Another process classifying batches of 32 cells with the shipped bundle for as long as the benchmark runs."""
    process = subprocess.Popen([sys.executable, "-c", BUSY_LOOP], cwd=ROOT)
    time.sleep(20)  # loaded and classifying before the first refit
    return process


def _write_result(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    load = os.getloadavg()[0]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = (
        "python -m benchmarks.bench_refit"
        + (" --baseline" if args.baseline else "")
        + (" --busy" if args.busy else "")
        + (f" --sizes {args.sizes}" if args.sizes != "2000,12305,16000" else "")
    )
    lines = [
        f"## Label-set refit + re-score after a correction ({stamp})",
        f"Command: `{command}`",
        f"Machine: {platform.node() or 'vm'}, {os.cpu_count()} CPUs, load average {load:.1f} at start. "
        f"Support = reference cells + {LAB_LABELS} lab labels; {args.results} stored results re-scored; macro F1 on "
        "held-out cells (the test split for real embeddings, "
        f"{args.test} fresh cells for synthetic ones). "
        + (
            "A classification batch runs all along (another process classifying 32 cells at a time)."
            if args.busy
            else "Nothing else of HemoSight running."
        ),
        "",
        "| support cells | embeddings | refit (fit) | re-score | grid read | correction → grid (read + fit + gate + "
        "store + re-score + grid read) | macro F1 |"
        + (" liblinear + CalibratedClassifierCV: fit, macro F1 |" if args.baseline else ""),
        "|---|---|---|---|---|---|---|" + ("---|" if args.baseline else ""),
    ]
    for r in rows:
        line = (
            f"| {r['support_cells']} | {r['embeddings']} | {r['fit_seconds']:.2f} s | {r['rescore_seconds']:.2f} s | "
            f"{r['grid_seconds']:.2f} s | "
            f"**{r['total_seconds']:.2f} s** | {r['macro_f1']:.4f} |"
        )
        if "baseline" in r:
            line += f" {r['baseline']['fit_seconds']:.1f} s, {r['baseline']['macro_f1']:.4f} |"
        lines.append(line)
    text = "\n".join(lines) + "\n"
    (ROOT / "benchmarks" / "results" / "refit.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
