"""Distilling the ImageNet Lite0 features into a from-scratch EfficientNetV2-B0, on real PBC crops."""

import json
from pathlib import Path

import numpy as np
import pytest

from hemosight.ml.distillation import DistillConfig, agreement, distil_encoder, teacher_features
from hemosight.ml.errors import InputError
from hemosight.ml.preprocessing import Preprocessing


def prepared(pbc_images: list[np.ndarray], size: int) -> np.ndarray:
    prep = Preprocessing(input_size=size)
    return np.stack([prep.prepare(im) for im in pbc_images[:16]])


@pytest.fixture(scope="module")
def crops(pbc_images) -> np.ndarray:
    return prepared(pbc_images, 32)


def test_the_student_moves_towards_the_teacher_and_resumes(pbc_images, crops: np.ndarray, tmp_path: Path) -> None:
    targets = teacher_features(prepared(pbc_images, 48))  # the teacher at its size, the student at its own
    np.testing.assert_allclose(np.linalg.norm(targets, axis=1), 1.0, atol=1e-4)
    config = DistillConfig(input_size=32, epochs=8, batch_images=8, learning_rate=3e-3, warmup_steps=0)
    distil_encoder(crops, targets, config, tmp_path, max_minutes=0, progress=False)
    student = distil_encoder(crops, targets, config, tmp_path, progress=False)
    history = [json.loads(line) for line in (tmp_path / "history.jsonl").read_text().splitlines()]
    assert [h["step"] for h in history] == list(range(1, 17))  # stopped after one step, resumed at two
    losses = [h["loss"] for h in history]
    assert np.mean(losses[-4:]) < losses[0]
    after = agreement(np.asarray(student(crops.astype(np.float32), training=False)), targets)
    assert after > 1.0 - losses[0]


def test_a_teacher_without_features_is_refused(crops: np.ndarray) -> None:
    with pytest.raises(InputError, match="no features for 32 px"):
        teacher_features(crops)


def test_mismatched_teacher_embeddings_are_refused(crops: np.ndarray, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="teacher embeddings"):
        distil_encoder(crops, np.zeros((3, 1280), np.float32), DistillConfig(input_size=32), tmp_path)
