"""The supervised baseline the paper compares against: the same encoder with a softmax head,
trained on the labels in two stages (head only, then everything at a low learning rate).

Used only for comparison (`hemosight evaluate --baseline`); HemoSight itself classifies
with label-set classifiers on the self-supervised embedding.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hemosight.ml.errors import InputError


@dataclass(frozen=True)
class BaselineConfig:
    input_size: int = 224
    head_epochs: int = 5
    finetune_epochs: int = 25
    head_learning_rate: float = 1e-3
    finetune_learning_rate: float = 1e-5
    batch_size: int = 64
    weights: str | None = None
    seed: int = 0


def build_baseline(n_classes: int, input_size: int, weights: str | None = None):  # -> keras.Model
    """Encoder → softmax over the classes; augmentation is applied only while training."""
    import keras

    from hemosight.ml.augmentation import build_augmenter
    from hemosight.ml.encoder import build_encoder

    inputs = keras.Input((input_size, input_size, 3), name="image")
    views = build_augmenter(input_size)(inputs)
    embedding = build_encoder(input_size, weights)(views)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="classes")(embedding)
    return keras.Model(inputs, outputs, name="hemosight_supervised_baseline")


def train_baseline(
    images: np.ndarray, labels: np.ndarray, classes: list[str], config: BaselineConfig, workdir: Path
):  # -> keras.Model
    """Two-stage training; `keras.callbacks.BackupAndRestore` resumes an interrupted run."""
    import keras

    keras.utils.set_random_seed(config.seed)
    workdir = Path(workdir)
    model = build_baseline(len(classes), config.input_size, config.weights)
    encoder = model.get_layer("hemosight_encoder")
    x = np.asarray(images, np.float32)
    y = np.asarray(labels, np.int64)
    stages = [
        ("head", False, config.head_learning_rate, config.head_epochs),
        ("finetune", True, config.finetune_learning_rate, config.finetune_epochs),
    ]
    for name, train_encoder, learning_rate, epochs in stages:
        if epochs <= 0:
            continue
        encoder.trainable = train_encoder
        if train_encoder and config.weights is not None:
            from hemosight.ml.encoder import set_batch_norm_trainable

            set_batch_norm_trainable(encoder, False)
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        model.fit(
            x,
            y,
            batch_size=config.batch_size,
            epochs=epochs,
            shuffle=True,
            verbose=0,
            callbacks=[keras.callbacks.BackupAndRestore(str(workdir / f"backup-{name}"))],
        )
    return model


def save_baseline(model, classes: list[str], path: Path) -> Path:
    """A `.keras` file plus a sidecar with the class order."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    path.with_suffix(".classes.txt").write_text("\n".join(classes) + "\n")
    return path


def load_baseline(path: Path):  # -> tuple[keras.Model, list[str]]
    import keras

    path = Path(path)
    classes_file = path.with_suffix(".classes.txt")
    if not path.is_file() or not classes_file.is_file():
        raise InputError(f"Baseline model {path} (and {classes_file.name} beside it) not found.")
    return keras.models.load_model(path), classes_file.read_text().split("\n")[:-1]


def predict_baseline(model, classes: list[str], prepared: np.ndarray, batch_size: int = 64) -> list[str]:
    probabilities = model.predict(np.asarray(prepared, np.float32), batch_size=batch_size, verbose=0)
    return [classes[i] for i in np.argmax(probabilities, axis=1)]
