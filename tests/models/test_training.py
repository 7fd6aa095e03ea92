"""Training on real PBC crops at a tiny resolution: loss is finite, checkpoints resume."""

import json
from pathlib import Path

import numpy as np
import pytest

from hemosight.ml.preprocessing import Preprocessing
from hemosight.ml.training import TrainConfig, train_encoder


@pytest.fixture(scope="module")
def tiny_images(pbc_images) -> np.ndarray:
    prep = Preprocessing(input_size=32)
    return np.stack([prep.prepare(im) for im in pbc_images[:16]])


def history(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def first_round(tiny_images: np.ndarray, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A run stopped by its time limit after one step, then resumed to the end: (run folder, history, encoder).

    Shared by the tests below: each `train_encoder` call compiles a training step for the whole encoder,
    the slowest thing in the suite, so the second-round test starts from this run instead of its own.
    """
    config = TrainConfig(input_size=32, epochs=2, batch_images=8, learning_rate=1e-3)
    run = tmp_path_factory.mktemp("run")
    train_encoder(tiny_images, config, run, max_minutes=0, progress=False)
    stopped = history(run)
    model = train_encoder(tiny_images, config, run, progress=False)
    return run, stopped, model


def test_training_stops_on_time_limit_and_resumes(first_round, tiny_images: np.ndarray) -> None:  # type: ignore[no-untyped-def]
    run, stopped, model = first_round
    assert [h["step"] for h in stopped] == [1]
    steps = [h["step"] for h in history(run)]
    assert steps == [1, 2, 3, 4]  # resumed at step 2, not from scratch
    assert all(np.isfinite(h["loss"]) for h in history(run))
    out = np.asarray(model(tiny_images[:2].astype(np.float32), training=False))
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-4)


def test_a_second_round_starts_from_the_first_rounds_weights_at_another_resolution(
    first_round, tiny_images: np.ndarray, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    first = first_round[2]
    weights = tmp_path / "first.weights.h5"
    first.save_weights(weights)
    larger = np.stack([Preprocessing(input_size=48).prepare(im) for im in tiny_images])
    config = TrainConfig(input_size=48, epochs=1, batch_images=8, learning_rate=0.0, continue_from=str(weights))
    second = train_encoder(larger, config, tmp_path / "b", progress=False)
    # Learning rate 0: the second round starts from, and keeps, the first round's trainable weights ...
    for before, after in zip(first.trainable_weights, second.trainable_weights, strict=True):
        np.testing.assert_array_equal(np.asarray(before), np.asarray(after))
    # ... while batch normalisation stays trainable: its statistics follow the new resolution.
    moved = [
        not np.array_equal(np.asarray(before), np.asarray(after))
        for before, after in zip(first.non_trainable_weights, second.non_trainable_weights, strict=True)
    ]
    assert moved and any(moved)


def test_frozen_batch_norm_keeps_the_starting_statistics(first_round, tiny_images: np.ndarray, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`batch_norm="frozen"` on a second round: the opposite of the test above, same start and data."""
    first = first_round[2]
    weights = tmp_path / "first.weights.h5"
    first.save_weights(weights)
    config = TrainConfig(
        input_size=32, epochs=1, batch_images=8, learning_rate=1e-3, continue_from=str(weights), batch_norm="frozen"
    )
    second = train_encoder(tiny_images + 40, config, tmp_path / "b", progress=False)
    from hemosight.ml.encoder import batch_norm_layers

    frozen = {id(weight) for layer in batch_norm_layers(second) for weight in layer.weights}
    assert frozen
    pairs = list(zip(first.weights, second.weights, strict=True))
    # A real learning rate moves the convolutions, but not one batch-normalisation weight or statistic.
    assert any(not np.array_equal(np.asarray(a), np.asarray(b)) for a, b in pairs if id(b) not in frozen)
    for a, b in pairs:
        if id(b) in frozen:
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_unknown_batch_norm_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="batch_norm must be one of"):
        TrainConfig(batch_norm="sometimes")


def test_label_aware_objective_needs_labels(tiny_images: np.ndarray, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs labels"):
        train_encoder(tiny_images, TrainConfig(input_size=32, objective="ssl+labels"), tmp_path, progress=False)


def test_unknown_objective_is_refused() -> None:
    with pytest.raises(ValueError, match="objective must be one of"):
        TrainConfig(objective="magic")


def test_augmentation_keeps_shape_and_range() -> None:
    from hemosight.ml.augmentation import build_augmenter

    rng = np.random.default_rng(0)
    batch = rng.integers(0, 256, (4, 32, 32, 3)).astype(np.float32)
    augmenter = build_augmenter(32, seed=1)
    views = np.asarray(augmenter(batch, training=True))
    assert views.shape == batch.shape
    assert views.min() >= 0.0 and views.max() <= 255.0
    assert np.abs(views - batch).mean() > 1.0  # it changed the images
    np.testing.assert_array_equal(np.asarray(augmenter(batch, training=False)), batch)
