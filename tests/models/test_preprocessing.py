import io

import numpy as np
import pytest
from PIL import Image

from hemosight.ml.imageio import decode_image
from hemosight.ml.preprocessing import (
    ColourStyle,
    Preprocessing,
    crop_field_of_view,
    gray_world,
    reinhard_transfer,
    rgb_to_lab,
)
from tests.conftest import ORIGINALS


def test_gray_world_equalises_channel_means() -> None:
    rng = np.random.default_rng(0)
    image = np.clip(rng.normal([180, 120, 200], 20, (50, 50, 3)), 0, 255).astype(np.uint8)
    means = gray_world(image).reshape(-1, 3).mean(axis=0)
    assert np.ptp(means) < 2.0
    assert abs(means.mean() - image.reshape(-1, 3).mean()) < 2.0


def test_reinhard_transfer_matches_target_statistics() -> None:
    rng = np.random.default_rng(1)
    source = np.clip(rng.normal([150, 90, 160], 25, (40, 40, 3)), 1, 255).astype(np.uint8)
    target = np.clip(rng.normal([200, 170, 190], 15, (40, 40, 3)), 1, 255).astype(np.uint8)
    style = ColourStyle.of([target])
    lab = rgb_to_lab(reinhard_transfer(source, style)).reshape(-1, 3)
    np.testing.assert_allclose(lab.mean(axis=0), style.mean, atol=0.02)
    np.testing.assert_allclose(lab.std(axis=0), style.std, rtol=0.15)


def test_field_of_view_crop_of_analyzer_image() -> None:
    image = np.zeros((363, 360, 3), np.uint8)
    assert crop_field_of_view(image, 288, 320).shape == (288, 288, 3)
    small = np.zeros((224, 230, 3), np.uint8)
    assert crop_field_of_view(small, 288, 320).shape == (224, 224, 3)


@pytest.mark.parametrize("size", [32, 96])
def test_prepare_gives_square_encoder_input(size: int) -> None:
    out = Preprocessing(input_size=size).prepare(np.full((363, 360, 3), 128, np.uint8))
    assert out.shape == (size, size, 3) and out.dtype == np.uint8


def test_uploaded_original_looks_like_a_training_crop() -> None:
    """The training data is the centre 288 px of each original, resized to 224 px and saved as JPEG.

    `prepare` must give (nearly) the same encoder input from the full-size original as
    from such a training crop — otherwise the model would see cells at the wrong scale.
    """
    prep = Preprocessing(input_size=96)
    naive = Preprocessing(input_size=96, native_min_side=10_000)  # no field-of-view crop
    diffs, naive_diffs = [], []
    for path in sorted(ORIGINALS.glob("*.jpg"))[:8]:
        original = decode_image(path.read_bytes())
        h, w = original.shape[:2]
        top, left = (h - 288) // 2, (w - 288) // 2
        crop = Image.fromarray(original[top : top + 288, left : left + 288]).resize(
            (224, 224), Image.Resampling.BILINEAR
        )
        buffer = io.BytesIO()
        crop.save(buffer, format="JPEG", quality=85)
        training_crop = decode_image(buffer.getvalue())
        reference = prep.prepare(training_crop).astype(float)
        diffs.append(np.abs(prep.prepare(original).astype(float) - reference).mean())
        naive_diffs.append(np.abs(naive.prepare(original).astype(float) - reference).mean())
    assert np.mean(diffs) < 3.0
    assert np.mean(naive_diffs) > 3 * np.mean(diffs)


def test_preprocessing_round_trips_through_dict() -> None:
    prep = Preprocessing(input_size=64, field_of_view=300)
    assert Preprocessing.from_dict(prep.to_dict() | {"unknown_future_key": 1}) == prep
