"""Adapting a bundle to a new lab: classifiers that let a lab's few labels count, and zero-label adaptation.

A new lab's cells differ from the training lab's in stain, lamp, camera and magnification, so
the bundle's ~3,200 reference cells sit beside, not on, the lab's cells in the embedding.
Measured on the dev labs (benchmarks/bench_new_lab.py, RESULTS.md "New lab"):

- Few labels: `fit_lab_classifier` with the default "lab" method fits the label-set
  classifier on the lab's own labels alone: with 25 labels it beat the references + lab
  labels, the references with the lab's labels weighted up (replicated to `lab_share` of the
  total weight), a prototype head, their blend and label spreading on the other-lab dev sets
  (all kept as `METHODS` so that a new encoder can be re-measured in minutes). Until the lab
  has labelled two classes it falls back to the references with the lab's labels weighted up.
- Zero labels, each measured: `LabStandardiser` (one lab-wide zoom from the median nucleus
  area, `nucleus_fraction`, and one lab-wide Reinhard lαβ map to the references' style),
  `recentre` (embedding mean alignment), `adapt_batch_norm` (AdaBN) and `finetune_encoder`
  (a short self-supervised fine-tune on the lab's cells). Only some help, on some labs; the
  results say which.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hemosight.ml.classifiers import LabelSetClassifier
from hemosight.ml.errors import HemosightError, InputError
from hemosight.ml.imageio import decode_image
from hemosight.ml.preprocessing import (  # zoom and transfer_style live with the preprocessing that applies them
    ColourStyle,
    Preprocessing,
    gray_world,
    resize,
    transfer_style,
    zoom,
)

__all__ = ["transfer_style", "zoom"]  # re-exported: part of this module's toolbox (benchmarks, tests)

METHODS = ("references", "lab", "weighted", "prototype", "blend", "spreading")
DEFAULT_METHOD = "lab"
#: Share of the support set's total weight the lab's own labels carry in the "weighted" method.
DEFAULT_LAB_SHARE = 0.5
#: Cosine-similarity temperature of the prototype head's softmax.
PROTOTYPE_TEMPERATURE = 0.05
#: Side (px) at which colour styles are compared: the bundle's reference thumbnails' size.
STYLE_SIZE = 64


class NoLabLabelsError(HemosightError, ValueError):
    """A lab-only head needs labelled cells of at least two classes from the lab."""


# --- few labels ----------------------------------------------------------------------------------------
@dataclass
class PrototypeClassifier:
    """Nearest class mean on the unit sphere (a prototype head): robust with one or two labels per class."""

    temperature: float = PROTOTYPE_TEMPERATURE
    classes_: list[str] = field(default_factory=list)
    prototypes_: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))

    def fit(self, embeddings: np.ndarray, labels: Sequence[str] | np.ndarray) -> PrototypeClassifier:
        y = np.asarray(labels)
        classes = np.unique(y)
        if len(classes) < 2:
            raise NoLabLabelsError(f"The lab's labels cover {len(classes)} class(es); a head needs at least two.")
        x = _unit(np.asarray(embeddings, np.float32))
        self.classes_ = [str(c) for c in classes]
        self.prototypes_ = _unit(np.stack([x[y == c].mean(axis=0) for c in classes]))
        return self

    def predict_proba(self, embeddings: np.ndarray) -> np.ndarray:
        logits = _unit(np.asarray(embeddings, np.float32)) @ self.prototypes_.T / self.temperature
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, embeddings: np.ndarray) -> np.ndarray:
        return np.asarray(self.classes_)[self.predict_proba(embeddings).argmax(axis=1)]


@dataclass
class BlendClassifier:
    """The mean of several heads' probabilities over the union of their classes (a head's unknown class: 0)."""

    heads: list[LabelSetClassifier | PrototypeClassifier]
    classes_: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.classes_ = sorted({c for head in self.heads for c in head.classes_})

    def predict_proba(self, embeddings: np.ndarray) -> np.ndarray:
        total = np.zeros((len(embeddings), len(self.classes_)))
        column = {c: i for i, c in enumerate(self.classes_)}
        for head in self.heads:
            total[:, [column[c] for c in head.classes_]] += head.predict_proba(embeddings)
        return total / len(self.heads)

    def predict(self, embeddings: np.ndarray) -> np.ndarray:
        return np.asarray(self.classes_)[self.predict_proba(embeddings).argmax(axis=1)]


LabClassifier = LabelSetClassifier | PrototypeClassifier | BlendClassifier


def fit_lab_classifier(
    lab_embeddings: np.ndarray,
    lab_labels: Sequence[str] | np.ndarray,
    reference_embeddings: np.ndarray | None = None,
    reference_labels: Sequence[str] | np.ndarray | None = None,
    method: str = DEFAULT_METHOD,
    lab_share: float = DEFAULT_LAB_SHARE,
    lab_cells: np.ndarray | None = None,
) -> LabClassifier:
    """A label-set classifier for a lab from its labelled cells and (optionally) the bundle's references.

    `method`: "references" (references + lab labels, every cell weight 1), "lab" (the lab's
    labels alone), "weighted" (references + lab labels replicated to `lab_share` of the total
    weight), "prototype" (class means of the lab's labels), "blend" (mean of "references" and
    "prototype" probabilities), "spreading" (the lab's labels spread over the k-nearest-neighbour
    graph of all its cells, `lab_cells`, then a classifier on every lab cell). With no lab
    labels, every method but the lab-only ones falls back to the references alone; the lab-only
    heads fall back to "weighted" while the lab's labels cover fewer than two classes.
    `lab_cells`: embeddings of all the lab's cells, labelled or not; when given, the references
    are moved onto the lab (their mean to the lab's mean) before the fit, so they sit where the
    lab's cells are.
    """
    if method not in METHODS:
        raise InputError(f"Unknown method {method!r}; use one of {', '.join(METHODS)}.")
    dim = np.shape(reference_embeddings)[1] if reference_embeddings is not None else np.shape(lab_embeddings)[-1]
    x_lab = np.asarray(lab_embeddings, np.float32).reshape(-1, dim)
    y_lab = np.asarray(lab_labels, dtype=object).astype(str)
    needs_references = method in ("references", "weighted", "blend")
    if needs_references and (reference_embeddings is None or reference_labels is None):
        raise ValueError(f"Method {method!r} needs the bundle's reference embeddings and labels.")
    if method in ("lab", "prototype", "spreading") and len(np.unique(y_lab)) < 2:
        if reference_embeddings is None or reference_labels is None:
            raise NoLabLabelsError(
                f"The lab's labels cover {len(np.unique(y_lab))} class(es); label cells of at least two classes."
            )
        method = "weighted"  # too few of the lab's own classes yet: the references carry the rest
    if method == "lab":
        return LabelSetClassifier().fit(x_lab, y_lab)
    if method == "prototype":
        return PrototypeClassifier().fit(x_lab, y_lab)
    if method == "spreading":
        if lab_cells is None:
            raise ValueError("Method 'spreading' needs the embeddings of all the lab's cells (lab_cells).")
        cells, spread = spread_labels(x_lab, y_lab, np.asarray(lab_cells, np.float32))
        return LabelSetClassifier().fit(cells, spread)
    x_ref = np.asarray(reference_embeddings, np.float32)
    if lab_cells is not None and len(lab_cells):
        x_ref = recentre(x_ref, np.asarray(lab_cells, np.float32))
    y_ref = np.asarray(reference_labels, dtype=object).astype(str)
    copies = 1
    if method == "weighted" and len(y_lab):
        copies = replication(len(y_ref), len(y_lab), lab_share)
    support = LabelSetClassifier().fit(
        np.concatenate([x_ref, np.repeat(x_lab, copies, axis=0)]),
        np.concatenate([y_ref, np.repeat(y_lab, copies)]),
    )
    if method == "blend" and len(np.unique(y_lab)) >= 2:
        return BlendClassifier([support, PrototypeClassifier().fit(x_lab, y_lab)])
    return support


def spread_labels(
    x_lab: np.ndarray, y_lab: np.ndarray, lab_cells: np.ndarray, neighbours: int = 10, alpha: float = 0.2
) -> tuple[np.ndarray, np.ndarray]:
    """(cells, labels): the labelled cells with their labels and every lab cell with a label spread from them.

    Label spreading (Zhou et al., 2004) on the k-nearest-neighbour graph of the lab's own
    embedding: a lab's cells of one class form a cluster there even when it sits far from the
    references', so a few labels reach the whole cluster.
    """
    from sklearn.semi_supervised import LabelSpreading

    classes = np.unique(y_lab)
    x = np.concatenate([x_lab, lab_cells])
    targets = np.concatenate([np.searchsorted(classes, y_lab), np.full(len(lab_cells), -1)])
    model = LabelSpreading(kernel="knn", n_neighbors=min(neighbours, len(x) - 1), alpha=alpha, max_iter=100)
    model.fit(x, targets)
    return x, classes[model.transduction_]


def replication(references: int, lab: int, lab_share: float) -> int:
    """Copies of each lab label so that the lab's labels carry about `lab_share` of the total weight."""
    if not 0.0 < lab_share < 1.0:
        raise InputError(f"lab_share must be between 0 and 1 (got {lab_share}).")
    return max(1, round(lab_share / (1.0 - lab_share) * references / max(lab, 1)))


# --- zero labels -----------------------------------------------------------------------------------------
def recentre(lab_embeddings: np.ndarray, reference_embeddings: np.ndarray) -> np.ndarray:
    """Move the lab's embeddings so that their mean is the references' mean, back onto the unit sphere.

    The cheapest feature alignment: a lab-wide offset (stain, lamp, camera) moves every cell's
    embedding the same way; the class composition of the lab moves the mean too, which is its limit.
    """
    x = np.asarray(lab_embeddings, np.float32)
    offset = np.asarray(reference_embeddings, np.float32).mean(axis=0) - x.mean(axis=0)
    return _unit(x + offset)


def nucleus_fraction(image: np.ndarray) -> float:
    """Share of pixels that are dark-purple nucleus: a size estimate of the white cell that needs no labels.

    Romanowsky-type stains (MGG, Giemsa, Wright) stain chromatin dark purple: dark in green,
    blue above red's share of the darkness. "Dark" is relative to the image's own light
    background (its 90th percentile of green) and the colour cast is removed first (gray world),
    so neither the lamp's brightness nor its colour matters.
    """
    rgb = gray_world(np.asarray(image, np.uint8)).astype(np.float32)
    green = rgb[..., 1]
    background = max(float(np.percentile(green, 90)), 1.0)
    dark = green < 0.55 * background
    purple = rgb[..., 2] >= rgb[..., 0] * 0.9
    return float(np.mean(dark & purple))


def style_of(images: Sequence[np.ndarray], max_images: int = 200, seed: int = 0, size: int = STYLE_SIZE) -> ColourStyle:
    """lαβ mean and std over (a seeded sample of at most `max_images` of) the images' pixels at `size` px.

    Every image is first resized to the same `size` (the bundle's reference thumbnails are 64 px
    JPEGs): the standard deviation falls with resolution, and a style measured on sharp lab
    images but matched to blurred thumbnails would wash the lab's contrast out.
    """
    rows = np.random.default_rng(seed).permutation(len(images))[:max_images]
    return ColourStyle.of([resize(np.asarray(images[i], np.uint8), size) for i in sorted(rows)])


@dataclass(frozen=True)
class LabStandardiser:
    """Lab-wide colour and scale standardisation to the bundle's training style, estimated without labels.

    `zoom_factor` is applied to decoded images before the bundle's preprocessing; the colour
    map to prepared images (the space the reference thumbnails are in).
    """

    zoom_factor: float = 1.0
    source: ColourStyle | None = None
    target: ColourStyle | None = None

    @classmethod
    def estimate(
        cls,
        prepared_lab: Sequence[np.ndarray],
        prepared_references: Sequence[np.ndarray],
        colour: bool = True,
        scale: bool = True,
        max_zoom: float = 1.6,
    ) -> LabStandardiser:
        """From the lab's prepared images and the references' (e.g. the bundle's thumbnails)."""
        factor = 1.0
        if scale:
            lab_area = float(np.median([nucleus_fraction(im) for im in prepared_lab]))
            ref_area = float(np.median([nucleus_fraction(im) for im in prepared_references]))
            if lab_area > 0 and ref_area > 0:
                factor = float(np.clip(np.sqrt(ref_area / lab_area), 1 / max_zoom, max_zoom))
        if not colour:
            return cls(zoom_factor=factor)
        return cls(zoom_factor=factor, source=style_of(prepared_lab), target=style_of(prepared_references))

    def zoomed(self, image: np.ndarray) -> np.ndarray:
        return zoom(image, self.zoom_factor)

    def applied_to(self, preprocessing: Preprocessing) -> Preprocessing:
        """The bundle's preprocessing with this standardisation built in, so every upload of the lab gets it."""
        colour = None
        if self.source is not None and self.target is not None:
            colour = (
                tuple(map(float, self.source.mean)),
                tuple(map(float, self.source.std)),
                tuple(map(float, self.target.mean)),
                tuple(map(float, self.target.std)),
            )
        return dataclasses.replace(preprocessing, lab_zoom=float(self.zoom_factor), lab_colour=colour)  # type: ignore[arg-type]

    def coloured(self, prepared: np.ndarray) -> np.ndarray:
        if self.source is None or self.target is None:
            return np.asarray(prepared)
        return transfer_style(prepared, self.source, self.target)


def reference_images(thumbnails: Sequence[bytes], limit: int = 400, seed: int = 0) -> list[np.ndarray]:
    """Decoded reference thumbnails (a seeded sample of at most `limit`): the training style."""
    rows = sorted(np.random.default_rng(seed).permutation(len(thumbnails))[:limit])
    return [decode_image(thumbnails[i]) for i in rows]


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


# --- BatchNorm statistics of the lab (AdaBN) -----------------------------------------------------------
def adapt_batch_norm(model: Any, images: np.ndarray, batch_size: int = 32, blend: float = 1.0) -> int:
    """Re-estimate every BatchNorm layer's moving mean and variance on the lab's images, in place (AdaBN).

    Only the statistics change: no gradient step, no other weight. Each batch runs the model in
    training mode with each BatchNorm layer's momentum set so that the moving statistics become
    the running average over all batches (momentum k/(k+1) at batch k; Keras' EfficientNet
    layers use 0.9, which would weight the last batches most). Layers frozen with
    `trainable = False` run in inference mode in Keras 3, so they are unfrozen for the pass and
    restored after. `blend` < 1 keeps a share of the training lab's statistics
    (blend · lab + (1 − blend) · training). Returns the number of layers adapted.
    """
    import keras

    from hemosight.ml.encoder import batch_norm_layers

    layers = batch_norm_layers(model)
    saved = [(layer.trainable, layer.momentum) for layer in layers]
    numpy = keras.ops.convert_to_numpy
    source = [(numpy(layer.moving_mean), numpy(layer.moving_variance)) for layer in layers]
    data = np.asarray(images, np.float32)
    try:
        for layer in layers:
            layer.trainable = True
        for k, start in enumerate(range(0, len(data), batch_size)):
            for layer in layers:
                layer.momentum = k / (k + 1)
            model(data[start : start + batch_size], training=True)
    finally:
        for layer, (trainable, momentum) in zip(layers, saved, strict=True):
            layer.trainable, layer.momentum = trainable, momentum
    if blend < 1.0:
        for layer, (mean, variance) in zip(layers, source, strict=True):
            layer.moving_mean.assign(blend * numpy(layer.moving_mean) + (1 - blend) * mean)
            layer.moving_variance.assign(blend * numpy(layer.moving_variance) + (1 - blend) * variance)
    return len(layers)


# --- a short self-supervised fine-tune on the lab's cells ---------------------------------------------
def finetune_encoder(
    encoder_weights: Sequence[np.ndarray],
    architecture: str,
    lab_prepared: np.ndarray,
    keep_prepared: np.ndarray,
    checkpoint_dir: Path,
    steps: int = 200,
    batch_images: int = 32,
    learning_rate: float = 5e-5,
    max_minutes: float | None = None,
    seed: int = 0,
) -> list[np.ndarray]:
    """Encoder weights after `steps` of the self-supervised triplet objective on the lab's cells (no labels).

    Two robust-augmented views of every image, the views of one cell positives (models.training,
    ``ssl``), continuing from the bundle's encoder with BatchNorm trainable, so its statistics
    move to the lab as well. `keep_prepared` (e.g. a few hundred of the training lab's cells) is
    mixed into every epoch so that the encoder keeps what it knew. Images are prepared (the
    bundle's `preprocessing.prepare`; their size is the encoder's input size). Runs whole epochs
    of lab and kept cells, at least `steps` steps. Resumable from `checkpoint_dir`.
    """
    from hemosight.ml.encoder import build_encoder
    from hemosight.ml.training import TrainConfig, train_encoder

    checkpoint_dir = Path(checkpoint_dir)
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    size = int(np.shape(lab_prepared)[1])
    start = checkpoint_dir / "start.weights.h5"
    if not start.exists():
        model = build_encoder(size, None, architecture=architecture)
        model.set_weights([np.asarray(w, np.float32) for w in encoder_weights])
        model.save_weights(start)
    images = np.concatenate([np.asarray(lab_prepared, np.uint8), np.asarray(keep_prepared, np.uint8)])
    per_epoch = max(len(images) // batch_images, 1)
    config = TrainConfig(
        input_size=size,
        epochs=max(1, -(-steps // per_epoch)),
        batch_images=batch_images,
        learning_rate=learning_rate,
        warmup_steps=min(20, steps // 5),
        objective="ssl",
        architecture=architecture,
        augmentation="robust",
        continue_from=str(start),
        seed=seed,
    )
    model = train_encoder(images, config, checkpoint_dir, max_minutes=max_minutes, progress=False)
    return [np.asarray(w) for w in model.get_weights()]
