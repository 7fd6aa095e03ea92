"""Self-supervised pretext training of the encoder with checkpoints and resume.

Each batch holds two augmented views of every image. Objectives:
- ``ssl``: the paper's recipe — triplet semi-hard loss where the two views of a file
  are the positives and every other file is a negative;
- ``ssl+labels``: the same plus a label-aware triplet term whose positives are cells
  of the same known class (rows without a label contribute only to the SSL term);
- ``labels``: the label-aware term alone.
Only ``ssl`` gives an embedding that never saw the labels; label-efficiency and
active-learning measurements must use such an embedding.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from hemosight.ml.errors import InputError

OBJECTIVES = ("ssl", "ssl+labels", "labels")
AUGMENTATIONS = ("paper", "robust")
#: Batch normalisation while training. "trainable" (the default) lets its statistics follow the cells;
#: "frozen" keeps those of the start. On the ImageNet Lite0 start at equal budget, trainable won on every
#: figure (held-out macro F1 0.925 vs 0.918, 5.4 % of labels 0.863 vs 0.831; benchmarks/RESULTS.md).
BATCH_NORM = ("trainable", "frozen")


@dataclass(frozen=True)
class TrainConfig:
    input_size: int = 224
    epochs: int = 30
    batch_images: int = 50  # two views each: the paper's batch of 100 views
    learning_rate: float = 1e-5
    warmup_steps: int = 0
    margin: float = 0.5
    objective: str = "ssl"
    label_weight: float = 1.0
    weights: str | None = None
    architecture: str = "EfficientNetV2-B0"
    #: Width of a projection head (Dense → L2) the triplet loss is computed on, dropped after
    #: training; None computes the loss on the embedding itself (the paper).
    head_dim: int | None = None
    #: Augmentation on top of the paper's: "paper", or "robust" (stain, blur, noise, wider zoom)
    #: so that the landscape survives the shifts between labs.
    augmentation: str = "paper"
    #: A previous run's encoder weights file to go on from (a second round, e.g. at a higher resolution).
    continue_from: str | None = None
    #: Batch normalisation during training: "trainable" or "frozen" (BATCH_NORM).
    batch_norm: str = "trainable"
    seed: int = 0
    mixed_precision: bool = False

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise InputError(f"objective must be one of {', '.join(OBJECTIVES)}, not {self.objective!r}")
        if self.augmentation not in AUGMENTATIONS:
            raise InputError(f"augmentation must be one of {', '.join(AUGMENTATIONS)}, not {self.augmentation!r}")
        if self.batch_norm not in BATCH_NORM:
            raise InputError(f"batch_norm must be one of {', '.join(BATCH_NORM)}, not {self.batch_norm!r}")


def train_encoder(
    images: np.ndarray,
    config: TrainConfig,
    checkpoint_dir: Path,
    labels: np.ndarray | None = None,
    max_minutes: float | None = None,
    progress: bool = True,
):  # -> keras.Model (TensorFlow imported lazily)
    """Train (or resume training) and return the encoder.

    `images`: (N, S, S, 3) uint8 already preprocessed to `config.input_size`.
    `labels`: int class ids per image, -1 where unknown; needed unless objective is ``ssl``.
    `max_minutes`: stop cleanly after this long (a checkpoint is written); call again to resume.
    """
    import keras
    import tensorflow as tf
    from tqdm import tqdm

    from hemosight.ml.augmentation import build_augmenter
    from hemosight.ml.encoder import build_encoder, set_batch_norm_trainable
    from hemosight.ml.losses import triplet_semihard_loss
    from hemosight.ml.schedules import WarmupCosine

    if config.objective != "ssl" and labels is None:
        raise InputError(f"objective {config.objective!r} needs labels")
    keras.utils.set_random_seed(config.seed)
    if config.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")

    checkpoint_dir = Path(checkpoint_dir)
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    (checkpoint_dir / "config.json").write_text(json.dumps(asdict(config), indent=2))

    n = len(images)
    steps_per_epoch = n // config.batch_images
    total_steps = steps_per_epoch * config.epochs
    model = build_encoder(config.input_size, config.weights, architecture=config.architecture)
    if config.continue_from is not None:
        model.load_weights(config.continue_from)
    set_batch_norm_trainable(model, config.batch_norm == "trainable")
    trained = model
    if config.head_dim:
        head = keras.layers.Dense(config.head_dim, name="projection")(model.output)
        trained = keras.Model(model.input, keras.layers.UnitNormalization(name="head_l2")(head), name="with_head")
    augmenter = build_augmenter(config.input_size, seed=config.seed, robust=config.augmentation == "robust")
    schedule = WarmupCosine(config.learning_rate, config.warmup_steps, total_steps)
    optimizer = keras.optimizers.Adam(schedule, beta_1=0.9, beta_2=0.999, epsilon=1e-7)
    step = tf.Variable(0, dtype=tf.int64, trainable=False)
    checkpoint = tf.train.Checkpoint(model=trained, optimizer=optimizer, step=step)
    manager = tf.train.CheckpointManager(checkpoint, str(checkpoint_dir), max_to_keep=2)
    if manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint).expect_partial()
    label_array = np.full(n, -1, np.int64) if labels is None else np.asarray(labels, np.int64)

    @tf.function(reduce_retracing=True)
    def train_step(batch: tf.Tensor, view_ids: tf.Tensor, class_ids: tf.Tensor) -> tf.Tensor:
        views = augmenter(tf.concat([batch, batch], axis=0), training=True)
        with tf.GradientTape() as tape:
            embeddings = tf.cast(trained(views, training=True), tf.float32)
            ids = tf.concat([view_ids, view_ids], axis=0)
            loss = tf.constant(0.0)
            if config.objective != "labels":
                loss += triplet_semihard_loss(ids, embeddings, config.margin)
            if config.objective != "ssl":
                classes = tf.concat([class_ids, class_ids], axis=0)
                known = classes >= 0
                loss += config.label_weight * triplet_semihard_loss(
                    tf.boolean_mask(classes, known), tf.boolean_mask(embeddings, known), config.margin
                )
        gradients = tape.gradient(loss, trained.trainable_variables)
        optimizer.apply_gradients(zip(gradients, trained.trainable_variables, strict=False))
        return loss

    log_path = checkpoint_dir / "history.jsonl"
    started = time.monotonic()
    last_save = started
    start_step = int(step.numpy())
    bar = tqdm(total=total_steps, initial=start_step, disable=not progress, unit="step", dynamic_ncols=True)
    while int(step.numpy()) < total_steps:
        current = int(step.numpy())
        epoch, index_in_epoch = divmod(current, steps_per_epoch)
        order = np.random.default_rng(config.seed + epoch).permutation(n)
        rows = np.sort(order[index_in_epoch * config.batch_images : (index_in_epoch + 1) * config.batch_images])
        tick = time.monotonic()
        loss = float(
            train_step(
                tf.convert_to_tensor(images[rows], tf.float32),
                tf.convert_to_tensor(rows),
                tf.convert_to_tensor(label_array[rows]),
            )
        )
        step.assign_add(1)
        views_per_s = 2 * config.batch_images / (time.monotonic() - tick)
        bar.update(1)
        bar.set_postfix(epoch=epoch + 1, loss=f"{loss:.4f}", views_per_s=f"{views_per_s:.0f}")
        done = int(step.numpy())
        with log_path.open("a") as log:
            log.write(json.dumps({"step": done, "epoch": epoch + 1, "loss": loss, "views_per_s": views_per_s}) + "\n")
        out_of_time = max_minutes is not None and time.monotonic() - started > max_minutes * 60
        if done % steps_per_epoch == 0 or time.monotonic() - last_save > 600 or out_of_time or done == total_steps:
            manager.save(checkpoint_number=done)
            last_save = time.monotonic()
        if out_of_time:
            break
    bar.close()
    keras.mixed_precision.set_global_policy("float32")
    return model


def limit_threads(threads: int | None) -> None:
    """Use at most `threads` CPU threads (HEMOSIGHT_THREADS), so a background training run leaves a core free."""
    if threads:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(int(threads))
        tf.config.threading.set_inter_op_parallelism_threads(int(threads))
