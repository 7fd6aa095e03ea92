"""Training augmentation of the HemoSight method, as one Keras model run on batches.

Flips, rotation (±90°), zoom (±0.1), translation (±20 px at the analyzer's 360 px
scale, scaled to the input size) and colour jitter of magnitude 0.2. Runs inside
the training graph on whole batches, which is far faster on a CPU than per-image
Python augmentation.
"""

from __future__ import annotations

import keras
from keras import layers

NATIVE_SIZE = 360
TRANSLATION_PX_AT_NATIVE = 20
JITTER = 0.2


def build_augmenter(input_size: int, seed: int = 0) -> keras.Sequential:
    """Random view generator for (batch, size, size, 3) images in 0–255."""
    translate = TRANSLATION_PX_AT_NATIVE / NATIVE_SIZE
    return keras.Sequential(
        [
            layers.RandomFlip("horizontal_and_vertical", seed=seed),
            layers.RandomRotation(0.25, fill_mode="reflect", seed=seed + 1),
            layers.RandomZoom(0.1, fill_mode="reflect", seed=seed + 2),
            layers.RandomTranslation(translate, translate, fill_mode="reflect", seed=seed + 3),
            layers.RandomBrightness(JITTER, value_range=(0, 255), seed=seed + 4),
            layers.RandomContrast(JITTER, value_range=(0, 255), seed=seed + 5),
            # Keras maps a factor f to a saturation multiplier f / (1 - f); this range
            # gives multipliers 1 ± 0.2.
            layers.RandomSaturation(
                (saturation_factor(1 - JITTER), saturation_factor(1 + JITTER)), value_range=(0, 255), seed=seed + 6
            ),
            layers.RandomHue(JITTER, value_range=(0, 255), seed=seed + 7),
        ],
        name="augmenter",
    )


def saturation_factor(multiplier: float) -> float:
    """Keras' RandomSaturation factor that scales saturation by `multiplier`."""
    return multiplier / (1.0 + multiplier)
