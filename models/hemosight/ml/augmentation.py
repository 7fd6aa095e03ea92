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


#: Zoom range of the robust recipe: labs' fields of view differ by tens of percent.
ROBUST_ZOOM = 0.25


def build_augmenter(input_size: int, seed: int = 0, robust: bool = False) -> keras.Sequential:
    """Random view generator for (batch, size, size, 3) images in 0–255.

    `robust` adds what differs between labs but not between cell types: a wider zoom, a
    random stain re-mix (a near-identity colour matrix), defocus blur and sensor noise.
    """
    translate = TRANSLATION_PX_AT_NATIVE / NATIVE_SIZE
    robust_layers = [
        StainMix(0.08, seed=seed + 8),
        RandomBlur(1.2, seed=seed + 9),
        GaussianNoiseViews(6.0, seed=seed + 10),
    ]
    return keras.Sequential(
        [
            layers.RandomFlip("horizontal_and_vertical", seed=seed),
            layers.RandomRotation(0.25, fill_mode="reflect", seed=seed + 1),
            layers.RandomZoom(ROBUST_ZOOM if robust else 0.1, fill_mode="reflect", seed=seed + 2),
            layers.RandomTranslation(translate, translate, fill_mode="reflect", seed=seed + 3),
            layers.RandomBrightness(JITTER, value_range=(0, 255), seed=seed + 4),
            layers.RandomContrast(JITTER, value_range=(0, 255), seed=seed + 5),
            # Keras maps a factor f to a saturation multiplier f / (1 - f); this range
            # gives multipliers 1 ± 0.2.
            layers.RandomSaturation(
                (saturation_factor(1 - JITTER), saturation_factor(1 + JITTER)), value_range=(0, 255), seed=seed + 6
            ),
            layers.RandomHue(JITTER, value_range=(0, 255), seed=seed + 7),
            *(robust_layers if robust else []),
        ],
        name="augmenter",
    )


def saturation_factor(multiplier: float) -> float:
    """Keras' RandomSaturation factor that scales saturation by `multiplier`."""
    return multiplier / (1.0 + multiplier)


class StainMix(layers.Layer):
    """Multiply each image's RGB by its own random near-identity 3×3 matrix (stain and lamp re-mix)."""

    def __init__(self, strength: float, seed: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.strength, self.seed = strength, seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        if not training:
            return images
        batch = keras.ops.shape(images)[0]
        noise = keras.random.uniform((batch, 3, 3), -self.strength, self.strength, seed=self.generator)
        mix = keras.ops.eye(3)[None] + noise
        return keras.ops.clip(keras.ops.einsum("bhwc,bcd->bhwd", images, mix), 0.0, 255.0)


class RandomBlur(layers.Layer):
    """Gaussian defocus with a per-image sigma in [0, max_sigma] px (separable 5-tap kernel)."""

    def __init__(self, max_sigma: float, seed: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_sigma = max_sigma
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        if not training:
            return images
        import tensorflow as tf

        batch = tf.shape(images)[0]
        sigma = keras.random.uniform((batch, 1), 1e-3, self.max_sigma, seed=self.generator)
        taps = tf.constant([-2.0, -1.0, 0.0, 1.0, 2.0])
        kernel = tf.exp(-(taps[None, :] ** 2) / (2.0 * sigma**2))
        kernel = kernel / tf.reduce_sum(kernel, axis=1, keepdims=True)  # (batch, 5)
        padded = tf.pad(images, [[0, 0], [2, 2], [2, 2], [0, 0]], mode="REFLECT")
        size = tf.shape(images)[1]
        rows = sum(kernel[:, i, None, None, None] * padded[:, i : i + size, :, :] for i in range(5))
        return sum(kernel[:, i, None, None, None] * rows[:, :, i : i + size, :] for i in range(5))


class GaussianNoiseViews(layers.Layer):
    """Sensor noise with a per-image standard deviation in [0, max_std] grey levels."""

    def __init__(self, max_std: float, seed: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_std = max_std
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        if not training:
            return images
        batch = keras.ops.shape(images)[0]
        std = keras.random.uniform((batch, 1, 1, 1), 0.0, self.max_std, seed=self.generator)
        noise = keras.random.normal(keras.ops.shape(images), seed=self.generator) * std
        return keras.ops.clip(images + noise, 0.0, 255.0)
