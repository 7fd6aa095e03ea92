"""Adapting a bundle to a lab's cells (hemosight.ml.lab_adaptation) on the fixture images under a synthetic lab shift."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from hemosight.ml.bundle import ModelBundle
from hemosight.ml.errors import InputError
from hemosight.ml.imageio import decode_image
from hemosight.ml.lab_adaptation import MIN_CELLS, AdaptOptions, adapt_bundle, cross_validated
from hemosight.ml.shifts import LabShift

ORIGINALS = Path(__file__).resolve().parents[1] / "fixtures" / "originals"


@pytest.fixture(scope="module")
def lab(pbc_images, pbc_table) -> tuple[list[np.ndarray], list[str]]:
    """72 cells of a 'new lab': the fixture crops and analyzer originals under a stain, lamp and zoom shift."""
    with open(ORIGINALS / "labels.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    images = [*pbc_images, *(decode_image((ORIGINALS / r["file"]).read_bytes()) for r in rows)]
    labels = [*pbc_table.label_sets["cell_type"], *(r["cell_type"] for r in rows)]
    shift = LabShift()
    return [shift(im) for im in images], labels


def test_adapt_builds_the_lab_standardisation_into_a_new_bundle(tmp_path, small_bundle_path, lab) -> None:
    images, _ = lab
    base = ModelBundle.load(small_bundle_path)
    phases: list[str] = []
    options = AdaptOptions(colour=True, scale=True)
    adapted = adapt_bundle(
        base, images, [None] * len(images), options, tmp_path, "lab-1", lambda p, f: phases.append(p)
    )
    bundle, metrics = adapted.bundle, adapted.metrics
    assert bundle.version == "lab-1" and bundle.encoder_weights is base.encoder_weights
    assert bundle.preprocessing.lab_colour is not None and bundle.preprocessing.lab_zoom != 1.0
    assert metrics["adaptation"]["zoom"] == round(bundle.preprocessing.lab_zoom, 4)
    assert base.preprocessing.lab_colour is None  # the base bundle is untouched
    assert {"embedding", "standardising", "choosing the head", "saving"} <= set(phases)
    assert "not_measured" in metrics["lab"] and "not_measured" in metrics["held_out_retention"]
    # the standardisation is part of the saved bundle: uploads of the lab get it after a reload
    again = ModelBundle.load(bundle.save(tmp_path / "lab-1.hsb"))
    assert again.preprocessing == bundle.preprocessing
    assert again.metrics["adaptation"]["cells"] == len(images)
    assert not np.array_equal(again.preprocessing.prepare(images[0]), base.preprocessing.prepare(images[0]))


def test_labelled_cells_give_metrics_beside_the_base_and_decide_the_standardisation(
    tmp_path, small_bundle_path, lab
) -> None:
    images, labels = lab
    base = ModelBundle.load(small_bundle_path)
    given = [label if i % 2 == 0 else None for i, label in enumerate(labels)]  # half the lab labelled
    metrics = adapt_bundle(base, images, given, AdaptOptions(colour=True), tmp_path, "lab-1").metrics
    lab_metrics = metrics["lab"]
    assert lab_metrics["cells"] == 36 and lab_metrics["old"]["version"] == base.version
    assert set(lab_metrics["candidates"]) == {"bundle", "lab"}
    head = metrics["adaptation"]["head"]
    assert lab_metrics["new"] == {"version": "lab-1", **lab_metrics["candidates"][head]}
    assert lab_metrics["new"]["macro_f1"] >= min(c["macro_f1"] for c in lab_metrics["candidates"].values())
    kept = metrics["adaptation"]["kept"]
    if not kept["standardisation"]:  # dropped only because it read the lab's labelled cells worse
        assert kept["standardised"]["macro_f1"] < kept["not_standardised"]["macro_f1"]


def test_lab_head_is_fitted_on_the_lab_cells_and_becomes_their_support_set(tmp_path, small_bundle_path, lab) -> None:
    images, labels = lab
    base = ModelBundle.load(small_bundle_path)
    adapted = adapt_bundle(base, images, labels, AdaptOptions(scale=False, head="lab"), tmp_path, "lab-2")
    bundle = adapted.bundle
    assert adapted.metrics["adaptation"]["head"] == "lab"
    assert bundle.preprocessing == base.preprocessing  # no step asked for: the lab's images go through unchanged
    ids, _, support_labels = bundle.support_set().cells("cell_type")
    assert len(ids) == len(labels) and all(i.startswith("lab-cell-") for i in ids)
    assert sorted(support_labels.tolist()) == sorted(labels)
    # the other label sets keep the reference cells as support
    assert len(bundle.support_set().cells("cell_size")[0]) == len(base.support_set().cells("cell_size")[0])


def test_bad_input_is_refused_in_words(tmp_path, small_bundle_path, lab) -> None:
    images, labels = lab
    base = ModelBundle.load(small_bundle_path)
    with pytest.raises(InputError, match=f"at least {MIN_CELLS}"):
        adapt_bundle(base, images[:10], labels[:10], AdaptOptions(), tmp_path)
    with pytest.raises(InputError, match="lab head needs at least"):
        adapt_bundle(base, images, [None] * len(images), AdaptOptions(head="lab"), tmp_path)
    with pytest.raises(InputError, match="Unknown head"):
        adapt_bundle(base, images, labels, AdaptOptions(head="best"), tmp_path)
    unlabelled = adapt_bundle(base, images, [None] * len(images), AdaptOptions(scale=False), tmp_path, "lab-3")
    assert unlabelled.metrics["adaptation"]["head"] == "bundle" and "not_measured" in unlabelled.metrics["lab"]


def test_cross_validation_scores_held_out_cells() -> None:
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 0.1, (20, 8)) + np.eye(8)[i] * 3 for i in range(3)]).astype(np.float32)
    y = np.repeat(["a", "b", "c"], 20)
    assert cross_validated(x, y)["accuracy"] > 0.9
    noise = rng.normal(0, 1, (60, 8)).astype(np.float32)
    assert cross_validated(noise, rng.permutation(y))["accuracy"] < 0.7  # no signal: held out, not memorised


def test_fine_tune_moves_the_encoder_and_re_embeds_the_references(tmp_path, pbc_images, pbc_table, lab) -> None:
    from hemosight.ml.builder import small_bundle

    images, labels = lab
    base = small_bundle(
        pbc_images, pbc_table.label_sets, [p.name for p in pbc_table.paths], architecture="EfficientNet-Lite0"
    )
    options = AdaptOptions(scale=False, fine_tune_minutes=1.0, fine_tune_steps=2, fine_tune_batch=8)
    adapted = adapt_bundle(base, images, labels, options, tmp_path, "lab-ft")
    bundle = adapted.bundle
    assert adapted.metrics["adaptation"]["fine_tune"]["done"]
    assert any(not np.allclose(a, b, atol=1e-5) for a, b in zip(bundle.encoder_weights, base.encoder_weights))
    assert not np.allclose(bundle.references.embeddings, base.references.embeddings, atol=1e-4)
    assert bundle.runtime_members == {} and (tmp_path / "finetune" / "history.jsonl").exists()
    assert dataclasses.asdict(bundle.preprocessing) == dataclasses.asdict(base.preprocessing)
