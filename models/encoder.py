"""The morphology encoder: EfficientNetV2-B0 → global average pooling → dropout → L2 norm."""

from __future__ import annotations

from pathlib import Path

import keras
from keras import layers

from models.errors import InputError

EMBEDDING_DIM = 1280


def build_encoder(input_size: int = 224, weights: str | None = None, dropout: float = 0.2) -> keras.Model:
    """Build the encoder; `weights` is None (from scratch), 'imagenet' or a Keras weights file.

    The model takes RGB images in 0–255 and rescales them to 0–1 itself
    (EfficientNetV2's built-in preprocessing), as the paper does. With pretrained
    weights the batch-normalisation layers are frozen, so that small self-supervised
    batches do not wreck their statistics.
    """
    backbone_weights = "imagenet" if weights == "imagenet" else None
    backbone = keras.applications.EfficientNetV2B0(
        include_top=False,
        weights=backbone_weights,
        input_shape=(input_size, input_size, 3),
        include_preprocessing=True,
    )
    inputs = keras.Input((input_size, input_size, 3), name="image")
    x = backbone(inputs)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.UnitNormalization(name="l2_normalise")(x)
    model = keras.Model(inputs, outputs, name="hemosight_encoder")
    if weights not in (None, "imagenet"):
        path = Path(weights)
        if not path.is_file():
            raise InputError(f"Encoder weights file {path} does not exist.")
        model.load_weights(path)
    if weights is not None:
        freeze_batch_norm(model)
    return model


def freeze_batch_norm(model: keras.Model) -> None:
    for layer in _all_layers(model):
        if isinstance(layer, layers.BatchNormalization):
            layer.trainable = False


def _all_layers(model: keras.Model) -> list[keras.layers.Layer]:
    found: list[keras.layers.Layer] = []
    for layer in model.layers:
        found.append(layer)
        if isinstance(layer, keras.Model):
            found.extend(_all_layers(layer))
    return found
