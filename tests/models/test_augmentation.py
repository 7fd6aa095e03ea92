"""Robust augmentation (models/hemosight/ml/augmentation.py): lab-to-lab shifts that keep the cell's class."""

from __future__ import annotations

import numpy as np
import pytest

from hemosight.ml.augmentation import GaussianNoiseViews, RandomBlur, StainMix, build_augmenter

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cells(pbc_images) -> np.ndarray:
    from hemosight.ml.preprocessing import Preprocessing

    prep = Preprocessing(input_size=64)
    return np.stack([prep.prepare(im) for im in pbc_images[:8]]).astype(np.float32)


@pytest.mark.parametrize("layer", [StainMix(0.08), RandomBlur(1.2), GaussianNoiseViews(6.0)])
def test_robust_layers_change_views_only_in_training(cells: np.ndarray, layer) -> None:
    np.testing.assert_array_equal(np.asarray(layer(cells, training=False)), cells)
    views = np.asarray(layer(cells, training=True))
    assert views.shape == cells.shape and views.min() >= 0.0 and views.max() <= 255.0
    assert not np.allclose(views, cells)
    assert np.abs(views - cells).mean() < 25.0  # under 10 % of the range: a shift, not a new image


def test_blur_removes_fine_detail(cells: np.ndarray) -> None:
    blurred = np.asarray(RandomBlur(1.2)(cells, training=True))
    detail = np.abs(np.diff(cells, axis=2)).mean()
    assert np.abs(np.diff(blurred, axis=2)).mean() < detail


def test_robust_augmenter_keeps_shape_and_range(cells: np.ndarray) -> None:
    views = np.asarray(build_augmenter(64, robust=True)(cells, training=True))
    assert views.shape == cells.shape and views.min() >= 0.0 and views.max() <= 255.0
