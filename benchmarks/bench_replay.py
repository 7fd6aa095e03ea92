"""Replays the slide scenario of a new user and reports agreement with the truth after every step.

    python -m benchmarks.bench_replay [--bundle models/hemosight/ml/default/hemosight-default.hsb] [--slides 5]

A slide = 160 held-out PBC cells (20 % split, stratified, seed 0; a different random draw per
slide) + the 40 analyzer originals, in a real SQLite store with the bundle's predictions. Then,
as the user in issue 15 did: correct one wrong cell, then two more, then batch-confirm the
cells that are right with top probability ≥ 0.9, each step followed by the worker's real
refit (`Refitter.refit`: same recipe, score gate, reviewed cells kept). Agreement = share of
the 200 cells whose shown class (the lab's label, else the prediction) is the truth; it must
never drop from one step to the next.

Two bundles: the shipped one as it is (built before the support member: its classifier rests
on the 12,305 training cells, its refits on the 3,200 reference cells), and the same bundle with
its classifiers refitted by this release's builder (`fit_classifiers` + `support_of`, as
scripts/build_bundle.py now does), whose refits start from the cells its classifier rests on.
Embeddings come from bench_calibration's cache (.cache/). Appends to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.bench_calibration import embeddings_of
from benchmarks.bench_refit import _insert_results
from benchmarks.datasets import DEFAULT_BUNDLE, ORIGINALS_DIR, PBC_DIR
from hemosight.core.store.base import LabelEvent, LabelSet, ModelVersion, Project
from hemosight.core.store.sqlite import SQLiteStore
from hemosight.ml.builder import fit_classifiers, support_of
from hemosight.ml.bundle import ModelBundle
from hemosight.ml.data import read_label_table, stratified_split
from hemosight.ml.imageio import decode_image
from hemosight.worker.refit import Refitter
from scripts.build_bundle import training_labels

ROOT = Path(__file__).resolve().parents[1]
CONFIRM_THRESHOLD = 0.9


async def replay(bundle: ModelBundle, x: np.ndarray, truth: np.ndarray, workdir: Path) -> list[dict[str, Any]]:
    store = SQLiteStore(workdir)
    await store.open()
    try:
        project = await store.create_project(Project(name="slide", owner_id="u"))
        shipped = bundle.classifiers["cell_type"]
        stored_x = x.astype(np.float16).astype(np.float32)  # as the worker stores and re-scores embeddings
        probabilities = shipped.predict_proba(stored_x)
        predicted = np.asarray(shipped.classes_)[probabilities.argmax(axis=1)]
        ids = await _insert_results(store, project, x, predicted)  # results of model version "bench"
        first = zip(ids, probabilities, strict=True)
        predictions = {i: dict(zip(shipped.classes_, map(float, p), strict=True)) for i, p in first}
        await store.update_predictions("cell_type", "bench", predictions)
        classes = shipped.classes_
        await store.ensure_label_set(LabelSet(name="cell_type", classes=classes, kind="model", status="model"))
        model = ModelVersion("bench", "", "", "cell_type", {"cell_type": classes})
        refitter = Refitter(store)
        steps: list[dict[str, Any]] = [{"step": "first predictions", **await agreement(store, project, ids, truth)}]
        wrong = [i for i in range(len(ids)) if predicted[i] != truth[i]]
        plan = [("correct 1 wrong cell", wrong[:1]), ("correct 2 more", wrong[1:3])]
        for name, rows in plan:
            if rows:
                events = [LabelEvent(ids[i], project.id, "cell_type", str(truth[i]), "reviewer", "u") for i in rows]
                steps.append(await step(store, refitter, bundle, model, project, ids, truth, name, events))
        shown = await shown_classes(store, project, ids)
        entries = {e.image.id: e for e in await store.list_image_entries(project.id)}
        labelled = {c.image_id for c in await store.list_labels("cell_type")}
        confirm = [
            i
            for i, image_id in enumerate(ids)
            if image_id not in labelled
            and shown[image_id] == truth[i]
            and entries[image_id].result is not None
            and entries[image_id].result.confidence >= CONFIRM_THRESHOLD  # type: ignore[union-attr]
        ]
        events = [LabelEvent(ids[i], project.id, "cell_type", shown[ids[i]], "reviewer", "u") for i in confirm]
        steps.append(
            await step(store, refitter, bundle, model, project, ids, truth, f"batch-confirm {len(confirm)}", events)
        )
        return steps
    finally:
        await store.close()


async def step(store, refitter, bundle, model, project, ids, truth, name, events) -> dict[str, Any]:
    await store.set_labels(events)
    label_set = await store.get_label_set("cell_type")
    started = time.perf_counter()
    version = await refitter.refit(label_set, bundle, model, await store.list_result_vectors(model.version))
    seconds = time.perf_counter() - started
    after = await store.get_label_set("cell_type")
    return {
        "step": name,
        **await agreement(store, project, ids, truth),
        "refit": "used" if version is not None else "refused",
        "changed_class": len(version.metrics["changed_image_ids"]) if version else 0,
        "refit_seconds": round(seconds, 2),
        **({"message": after.message} if version is None and after and after.message else {}),
    }


async def shown_classes(store: SQLiteStore, project: Project, ids: list[str]) -> dict[str, str]:
    reviewed = {c.image_id: c.label for c in await store.list_labels("cell_type", project.id)}
    entries = {e.image.id: e for e in await store.list_image_entries(project.id)}
    return {i: reviewed.get(i) or entries[i].result.labels["cell_type"] for i in ids}  # type: ignore[union-attr]


async def agreement(store: SQLiteStore, project: Project, ids: list[str], truth: np.ndarray) -> dict[str, Any]:
    shown = await shown_classes(store, project, ids)
    right = sum(1 for i, image_id in enumerate(ids) if shown[image_id] == truth[i])
    return {"agreement": f"{right}/{len(ids)}", "right": right}


def rebuilt(bundle: ModelBundle, table: Any, train: np.ndarray, embeddings: np.ndarray) -> ModelBundle:
    """The bundle as this release's builder makes it: classifiers on the training split with stable fold keys,
    and that split as its support member (what scripts/build_bundle.py's `classifiers` phase now writes)."""
    ids = [p.name for p in table.paths]
    labels = training_labels(table, train, ["cell_type"])
    copied = copy.copy(bundle)
    copied.classifiers = fit_classifiers(embeddings, labels, ids)
    _, copied.support = support_of(embeddings, labels, ids)
    return copied


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE)
    parser.add_argument("--pbc", type=Path, default=PBC_DIR, help="the PBC folder (labels.csv)")
    parser.add_argument("--originals", type=Path, default=ORIGINALS_DIR, help="the PBC originals folder")
    parser.add_argument("--slides", type=int, default=5)
    parser.add_argument("--no-results", action="store_true")
    args = parser.parse_args()
    bundle = ModelBundle.load(args.bundle)
    table = read_label_table(args.pbc / "labels.csv")
    train, test = stratified_split(table.label_sets["cell_type"], 0.2, seed=0)
    embeddings = embeddings_of(bundle, table.paths).astype(np.float32)
    cell_type = np.asarray(table.label_sets["cell_type"])
    originals = read_label_table(args.originals / "labels.csv")
    original_x = bundle.embed([decode_image(p.read_bytes()) for p in originals.paths]).astype(np.float16)
    original_y = np.asarray(originals.label_sets["cell_type"])
    bundles = {"shipped bundle": bundle, "rebuilt by this release's builder": rebuilt(bundle, table, train, embeddings)}
    report: dict[str, list] = {name: [] for name in bundles}
    for slide in range(args.slides):
        rows = np.random.default_rng(slide).choice(test, 160, replace=False)
        x = np.concatenate([embeddings[rows], original_x.astype(np.float32)])
        truth = np.concatenate([cell_type[rows], original_y])
        for name, candidate in bundles.items():
            with tempfile.TemporaryDirectory() as tmp:
                steps = asyncio.run(replay(candidate, x, truth, Path(tmp)))
            rights = [s["right"] for s in steps]
            report[name].append({"slide": slide, "steps": steps, "never_dropped": rights == sorted(rights)})
            print(name, slide, json.dumps(steps), flush=True)
    (ROOT / "benchmarks" / "results" / "replay.json").write_text(json.dumps(report, indent=2))
    if not args.no_results:
        append_results(report, args.slides)


def append_results(report: dict[str, list], slides: int) -> None:
    lines = [
        "",
        f"## Slide replay: agreement after every correction and batch confirm ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        f"Command: `python -m benchmarks.bench_replay --slides {slides}` (every step: benchmarks/results/replay.json)",
        "",
        "Each slide: 160 held-out PBC cells + the 40 analyzer originals. Agreement = cells whose shown class is the "
        "truth; refit = used, or refused by the score gate; changed = cells whose predicted class the refit changed.",
        "",
        "| bundle | slide | "
        + " | ".join(s["step"].split(" ")[0] for s in next(iter(report.values()))[0]["steps"])
        + " | never dropped |",
        "|---|---|" + "---|" * (len(next(iter(report.values()))[0]["steps"]) + 1),
    ]
    for name, runs in report.items():
        for run in runs:
            cells = [
                s["agreement"] + (f" ({s['refit']}, {s['changed_class']} changed)" if "refit" in s else "")
                for s in run["steps"]
            ]
            lines.append(
                f"| {name} | {run['slide']} | "
                + " | ".join(cells)
                + f" | {'yes' if run['never_dropped'] else '**no**'} |"
            )
    with open(ROOT / "benchmarks" / "RESULTS.md", "a") as handle:
        handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
