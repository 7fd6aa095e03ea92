"""Refits never make things worse: same recipe as the bundle, a score gate, reviewed cells kept, changes listed.

Real SQLite store, real worker, a real small bundle built from the fixture cells.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from hemosight.core.model_registry import register_bundle
from hemosight.core.store.base import LabelEvent, LabelSet
from hemosight.core.store.sqlite import SQLiteStore
from hemosight.ml.bundle import ModelBundle
from hemosight.ml.classifiers import Comparison, LabelSetClassifier, compare_on_support
from hemosight.worker.refit import Refitter, support_set
from hemosight.worker.runner import Worker, WorkerConfig

from .test_runner import add_images

pytestmark = pytest.mark.anyio


def test_the_recipe_on_the_bundles_support_set_reproduces_its_classifier(bundle_path: Path) -> None:
    bundle = ModelBundle.load(bundle_path)
    support = support_set(bundle, "cell_type", {}, {})
    refit = LabelSetClassifier().fit(support.embeddings, support.labels, support.keys)
    shipped = bundle.classifiers["cell_type"]
    probe = bundle.references.embeddings
    np.testing.assert_array_equal(refit.predict_proba(probe), shipped.predict_proba(probe))
    assert refit.cv_accuracy is not None and list(refit.support_keys_) == list(shipped.support_keys_)


async def classified(store: SQLiteStore, originals: list[Path], bundle_path: Path) -> tuple[Worker, str, dict]:
    await register_bundle(store, bundle_path, activate=True)
    project, _ = await add_images(store, originals)
    worker = Worker(store, WorkerConfig(batch_size=40))
    await worker.run_until_idle()
    results = {e.image.id: e.result for e in await store.list_image_entries(project.id)}
    model = await store.active_model_version()
    assert model is not None
    # As the API does on the first label of a model label set.
    await store.ensure_label_set(
        LabelSet(name="cell_type", classes=model.label_sets["cell_type"], kind="model", status="model")
    )
    return worker, project.id, results


def label(image_id: str, project_id: str, value: str, label_set: str = "cell_type") -> LabelEvent:
    return LabelEvent(
        image_id=image_id, project_id=project_id, label_set=label_set, label=value, source="reviewer", user_id="u1"
    )


async def test_a_refit_without_lab_labels_changes_no_prediction(
    store: SQLiteStore, originals: list[Path], bundle_path: Path
) -> None:
    worker, project_id, before = await classified(store, originals, bundle_path)
    image_id = next(iter(before))
    other = next(c for c in before[image_id].probabilities["cell_type"] if c != before[image_id].label)
    [event] = await store.set_labels([label(image_id, project_id, other)])
    await store.undo_label_event(event.id, "u1")  # labels_version moved on; no lab label is left
    await worker.run_until_idle()
    label_set = await store.get_label_set("cell_type")
    assert label_set is not None and label_set.fitted_labels_version == label_set.labels_version
    after = {e.image.id: e.result for e in await store.list_image_entries(project_id)}
    for key, result in before.items():
        assert after[key].probabilities["cell_type"] == result.probabilities["cell_type"]
    [version] = await store.list_classifier_versions("cell_type")
    assert version.metrics["changed_image_ids"] == []


def truth(originals: list[Path]) -> dict[str, str]:
    with open(originals[0].parent / "labels.csv", newline="") as handle:
        return {row["file"]: row["cell_type"] for row in csv.DictReader(handle)}


async def test_reviewed_cells_keep_their_prediction_and_changed_cells_are_recorded(
    store: SQLiteStore, originals: list[Path], bundle_path: Path
) -> None:
    worker, project_id, before = await classified(store, originals, bundle_path)
    filenames = {e.image.id: e.image.filename for e in await store.list_image_entries(project_id)}
    classes, truths = set(before[next(iter(before))].probabilities["cell_type"]), truth(originals)
    # The lab labels half the slide with the truth (corrections and confirmations alike).
    events = [label(i, project_id, truths[filenames[i]]) for i in list(before)[::2] if truths[filenames[i]] in classes]
    await store.set_labels(events)
    await worker.run_until_idle()
    after = {e.image.id: e.result for e in await store.list_image_entries(project_id)}
    for event in events:  # reviewed cells: the prediction the reviewer saw stays
        assert after[event.image_id].probabilities["cell_type"] == before[event.image_id].probabilities["cell_type"]
    label_set = await store.get_label_set("cell_type")
    versions = await store.list_classifier_versions("cell_type")
    assert label_set is not None and label_set.fitted_labels_version == label_set.labels_version
    if versions:  # the refit was used: exactly the cells whose class moved are listed
        moved = sorted(i for i in before if after[i].label != before[i].label)
        assert sorted(versions[-1].metrics["changed_image_ids"]) == moved
        assert not set(moved) & {e.image_id for e in events}
        assert versions[-1].metrics["cv_correct"] >= versions[-1].metrics["previous_cv_correct"]
    else:  # refused by the score gate: the label set says why, nothing changed
        assert label_set.message is not None and "not put into use" in label_set.message
        assert all(after[i].label == before[i].label for i in before)


async def test_a_refit_that_is_worse_on_held_out_cells_is_not_used(
    store: SQLiteStore, originals: list[Path], bundle_path: Path
) -> None:
    """The classifier in use got every support cell right when held out (as a well-separated model would):
    a refit on an untrained encoder's embeddings cannot match that, so the gate keeps the classifier in use."""
    _, project_id, before = await classified(store, originals, bundle_path)
    bundle = ModelBundle.load(bundle_path)
    bundle.classifiers["cell_type"].cv_correct_[:] = True
    filenames = {e.image.id: e.image.filename for e in await store.list_image_entries(project_id)}
    truths = truth(originals)
    await store.set_labels([label(i, project_id, truths[filenames[i]]) for i in before])
    model = await store.active_model_version()
    stored = await store.get_label_set("cell_type")
    assert model is not None and stored is not None
    version = await Refitter(store).refit(stored, bundle, model, await store.list_result_vectors(model.version))
    after = await store.get_label_set("cell_type")
    assert version is None and await store.list_classifier_versions("cell_type") == []
    assert after is not None and after.status == "model" and after.fitted_labels_version == after.labels_version
    assert after.message is not None and "not put into use" in after.message and "kept" in after.message
    unchanged = {e.image.id: e.result for e in await store.list_image_entries(project_id)}
    assert all(unchanged[i].probabilities == r.probabilities for i, r in before.items())


async def test_a_refit_uses_the_regularisation_the_bundle_chose_for_the_label_set(
    store: SQLiteStore, originals: list[Path], bundle_path: Path, tmp_path: Path
) -> None:
    """A bundle whose cell-type classifier was fitted with another C than the default: a lab label's refit keeps
    that C (the bundle's recipe), else the first correction would move cells nobody touched."""
    bundle = ModelBundle.load(bundle_path)
    support = support_set(bundle, "cell_type", {}, {})
    bundle.classifiers["cell_type"] = LabelSetClassifier(C=0.02).fit(support.embeddings, support.labels, support.keys)
    chosen = tmp_path / "chosen-c.hsb"
    bundle.save(chosen)
    _, project_id, before = await classified(store, originals, chosen)
    image_id = next(iter(before))
    other = next(c for c in before[image_id].probabilities["cell_type"] if c != before[image_id].label)
    await store.set_labels([label(image_id, project_id, other)])
    model = await store.active_model_version()
    stored = await store.get_label_set("cell_type")
    assert model is not None and stored is not None
    refitter = Refitter(store, score_gate=False)
    version = await refitter.refit(
        stored, ModelBundle.load(chosen), model, await store.list_result_vectors(model.version)
    )
    assert version is not None
    refit = (await refitter.classifiers(model))["cell_type"]
    assert abs(refit.C - 0.02) < 1e-9


def test_the_gate_refuses_only_a_refit_worse_beyond_chance() -> None:
    clearly_worse = Comparison(cells=500, current_correct=450, candidate_correct=430, only_current=25, only_candidate=5)
    close_call = Comparison(cells=500, current_correct=450, candidate_correct=448, only_current=6, only_candidate=4)
    better = Comparison(cells=500, current_correct=450, candidate_correct=460, only_current=2, only_candidate=12)
    assert not clearly_worse.candidate_not_worse
    assert close_call.candidate_not_worse and better.candidate_not_worse


def test_held_out_verdicts_compare_shared_cells_by_cv_and_new_cells_by_prediction() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 4, (3, 8))
    x = np.concatenate([c + rng.normal(0, 1, (40, 8)) for c in centres]).astype(np.float32)
    y = np.repeat(["a", "b", "c"], 40)
    keys = [f"cell-{i}" for i in range(len(y))]
    current = LabelSetClassifier().fit(x[:90], y[:90], keys[:90])
    candidate = LabelSetClassifier().fit(x, y, keys)
    comparison = compare_on_support(current, candidate, x)
    assert comparison is not None and comparison.cells == 120
    shared = {k: c for k, c in zip(current.support_keys_, current.cv_correct_, strict=True)}
    new_right = int((current.predict(x[90:]) == y[90:]).sum())
    assert comparison.current_correct == sum(shared.values()) + new_right
    assert comparison.candidate_correct == int(candidate.cv_correct_.sum())
    assert comparison.candidate_not_worse


async def test_a_custom_label_set_needs_labels_of_every_class(
    store: SQLiteStore, originals: list[Path], bundle_path: Path
) -> None:
    worker, project_id, before = await classified(store, originals, bundle_path)
    await store.create_label_set(LabelSet(name="reactive", classes=["yes", "no", "unsure"], status="needs_labels"))
    ids = list(before)
    await store.set_labels([label(i, project_id, "yes" if n % 2 else "no", "reactive") for n, i in enumerate(ids[:8])])
    await worker.run_until_idle()
    stored = await store.get_label_set("reactive")
    assert stored is not None and stored.status == "needs_labels"
    assert stored.message is not None and "unsure (0)" in stored.message
    [version] = await store.list_classifier_versions("reactive")
    assert version.metrics["class_counts"] == {"yes": 4, "no": 4, "unsure": 0}


async def test_a_bundle_built_before_stable_folds_keeps_its_classifier_unless_a_refit_is_clearly_better(
    store: SQLiteStore, originals: list[Path], bundle_path: Path
) -> None:
    _, project_id, before = await classified(store, originals, bundle_path)
    bundle = ModelBundle.load(bundle_path)
    old = bundle.classifiers["cell_type"]  # as stored before cross-validated verdicts existed
    old.support_keys_, old.support_labels_, old.cv_correct_ = np.zeros(0, str), np.zeros(0, str), np.zeros(0, bool)
    bundle.support = None  # nor the support member: the reference cells stand for the support set
    filenames = {e.image.id: e.image.filename for e in await store.list_image_entries(project_id)}
    truths = truth(originals)
    first = next(iter(before))
    await store.set_labels([label(first, project_id, truths[filenames[first]])])
    model = await store.active_model_version()
    stored = await store.get_label_set("cell_type")
    assert model is not None and stored is not None
    version = await Refitter(store).refit(stored, bundle, model, await store.list_result_vectors(model.version))
    after = await store.get_label_set("cell_type")
    assert after is not None
    if version is None:  # judged by its predictions on the cells it was fitted on, the bundle's classifier stays
        assert after.message is not None and "ask an administrator to install an updated model" in after.message
    else:
        assert version.metrics["cv_correct"] > version.metrics["previous_cv_correct"]


def test_a_refused_refit_is_explained_in_plain_words_and_the_rebuild_hint_is_for_admins() -> None:
    from hemosight.ml.classifiers import Comparison
    from hemosight.worker.refit import OLD_BUNDLE_ADMIN_HINT, rejected_message

    comparison = Comparison(cells=40, current_correct=36, candidate_correct=30, only_current=7, only_candidate=1)
    for by_predictions in (False, True):
        message = rejected_message(comparison, by_predictions)
        assert "30" in message and "36" in message and "kept" in message
        for technical in ("scripts/", ".py", "bundle", "support", "held out", "cross-valid", "fold"):
            assert technical not in message, (technical, message)
    assert "ask an administrator to install an updated model" in rejected_message(comparison, True)
    assert "scripts/build_bundle.py" in OLD_BUNDLE_ADMIN_HINT
