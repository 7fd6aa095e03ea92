"""The usable-cell check on real fixture cells and on images that are not usable cells."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hemosight.ml.bundle import ModelBundle
from hemosight.ml.imageio import decode_image
from hemosight.ml.quality import QualityGate, gate_for, reference_distance_threshold

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def real_cells() -> list[np.ndarray]:
    paths = sorted((FIXTURES / "originals").glob("*.jpg")) + sorted((FIXTURES / "pbc" / "images").rglob("*.jpg"))
    return [decode_image(p.read_bytes()) for p in paths]


def test_real_cells_pass_the_pixel_checks() -> None:
    gate = QualityGate()
    verdicts = [gate.check_image(cell) for cell in real_cells()]
    assert verdicts.count(None) >= len(verdicts) - 1, [v for v in verdicts if v]


def rgba_cut_out(cell: np.ndarray) -> np.ndarray:
    rgba = np.dstack([cell, np.zeros(cell.shape[:2], np.uint8)])
    rgba[150:210, 150:210, 3] = 255  # only a small square left opaque; the rest composites onto white
    buffer = io.BytesIO()
    Image.fromarray(rgba).save(buffer, "PNG")
    return decode_image(buffer.getvalue())


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda cell: np.full((360, 360, 3), 255, np.uint8), "Blank or uniform"),
        (lambda cell: np.zeros((360, 360, 3), np.uint8), "Blank or uniform"),
        (lambda cell: np.full((10, 10000, 3), (200, 40, 90), np.uint8), "Extreme aspect ratio"),
        (lambda cell: np.repeat(cell.mean(axis=2, keepdims=True), 3, axis=2).astype(np.uint8), "Greyscale"),
        (lambda cell: np.asarray(Image.fromarray(cell).resize((900, 90))), "Extreme aspect ratio"),
        (rgba_cut_out, "Not a cell image"),
    ],
    ids=["white", "black", "strip", "greyscale", "stretched", "rgba-cut-out"],
)
def test_non_cells_are_flagged_with_the_reason(make, reason: str) -> None:
    cell = real_cells()[0]
    verdict = QualityGate().check_image(make(cell))
    assert verdict is not None and verdict.startswith(reason), verdict


def test_far_from_every_reference_cell_is_flagged() -> None:
    rng = np.random.default_rng(0)
    references = rng.normal(size=(500, 16)).astype(np.float32)
    references /= np.linalg.norm(references, axis=1, keepdims=True)
    threshold, calibration = reference_distance_threshold(references)
    assert 0 < threshold < 2 and calibration["references"] == 500
    gate = QualityGate(max_reference_distance=threshold)
    cell = real_cells()[0]
    assert gate.check(cell, threshold * 0.5) is None
    verdict = gate.check(cell, threshold * 1.5)
    assert verdict is not None and verdict.startswith("Does not look like a blood cell")


def test_stored_thresholds_win_and_a_bundle_without_them_computes_the_distance(small_bundle_path: Path) -> None:
    built = ModelBundle.load(small_bundle_path)
    assert built.quality["max_reference_distance"] > 0  # a new bundle carries its thresholds
    bundle = dataclasses.replace(built, quality={})  # as one built before the check
    gate = bundle.quality_gate()
    assert gate.max_reference_distance is not None and np.isfinite(gate.max_reference_distance)
    assert gate.calibration["method"] == "nearest other reference cell"
    assert gate.max_reference_distance == pytest.approx(built.quality["max_reference_distance"], rel=1e-6)
    stored = gate_for(bundle.references.embeddings, {"max_reference_distance": 0.5, "min_colour": 10.0})
    assert stored.max_reference_distance == 0.5 and stored.min_colour == 10.0 and stored.min_contrast == 8.0
