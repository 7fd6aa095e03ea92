import numpy as np
import pytest
from PIL import Image

from hemosight.ml.shifts import IDENTITY, LabShift, magnify


def disk(size: int = 96, radius: int = 20) -> np.ndarray:
    """A dark-purple disk (a nucleus) on a light background."""
    yy, xx = np.mgrid[:size, :size]
    image = np.full((size, size, 3), (230, 220, 225), np.uint8)
    image[(yy - size / 2) ** 2 + (xx - size / 2) ** 2 < radius**2] = (110, 50, 140)
    return image


def test_shift_keeps_size_and_is_deterministic(pbc_images) -> None:
    image = pbc_images[0]
    shifted = LabShift()(image)
    assert shifted.shape == image.shape and shifted.dtype == np.uint8
    np.testing.assert_array_equal(shifted, LabShift()(image))
    assert np.abs(shifted.astype(int) - image.astype(int)).mean() > 5  # it does change the cell


def test_identity_shift_leaves_the_image_alone(pbc_images) -> None:
    np.testing.assert_array_equal(IDENTITY(pbc_images[1]), pbc_images[1])


def test_warm_lamp_raises_red_against_blue(pbc_images) -> None:
    lamp_only = LabShift(stain_mix=IDENTITY.stain_mix, magnification=1.0, blur_sigma=0.0, jpeg_quality=None)
    before = pbc_images[2].reshape(-1, 3).mean(axis=0)
    after = lamp_only(pbc_images[2]).reshape(-1, 3).mean(axis=0)
    assert after[0] / after[2] > 1.2 * before[0] / before[2]


def test_magnification_enlarges_the_cell() -> None:
    zoom_only = LabShift(
        stain_mix=IDENTITY.stain_mix, lamp_gains=(1.0, 1.0, 1.0), magnification=1.3, blur_sigma=0.0, jpeg_quality=None
    )
    dark_before = (disk()[..., 1] < 120).mean()
    dark_after = (zoom_only(disk())[..., 1] < 120).mean()
    assert dark_after / dark_before == pytest.approx(1.3**2, rel=0.1)


def test_magnify_refuses_a_wider_field() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        magnify(Image.fromarray(disk()), 0.8)
