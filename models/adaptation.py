"""Adapting a bundle to a new lab: classifiers that let a lab's few labels count, and zero-label standardisation.

A new lab's cells differ from the training lab's in stain, lamp, camera and magnification, so
the bundle's ~3,200 reference cells sit beside, not on, the lab's cells in the embedding.
Measured on the dev labs (benchmarks/bench_new_lab.py, RESULTS.md "New lab"):

- Few labels: `fit_lab_classifier` fits the label-set classifier on the references plus the
  lab's labels with the lab's labels weighted up (replicated so that they carry `lab_share` of
  the total weight), or one of the other measured heads (`METHODS`). Replication is the
  squared-hinge SVM's sample weighting: each copy adds the same loss term.
- Zero labels: `LabStandardiser` maps a lab's images to the training style before the
  encoder: one Reinhard lαβ transfer for the whole lab (the lab's pixel statistics to the
  references', the same affine map for every cell, so colour differences between cell types
  survive) and one zoom for the whole lab (the median nucleus area of its cells to the
  references'; `nucleus_fraction`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from models.classifiers import LabelSetClassifier
from models.imageio import decode_image
from models.preprocessing import ColourStyle, gray_world, lab_to_rgb, rgb_to_lab

METHODS = ("references", "lab", "weighted", "prototype", "blend")
DEFAULT_METHOD = "weighted"
#: Share of the support set's total weight the lab's own labels carry in the "weighted" method.
DEFAULT_LAB_SHARE = 0.5
#: Cosine-similarity temperature of the prototype head's softmax.
PROTOTYPE_TEMPERATURE = 0.05


class NoLabLabelsError(ValueError):
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
    "prototype" probabilities). With no lab labels, every method but the lab-only ones falls back
    to the references alone. `lab_cells`: embeddings of all the lab's cells, labelled or not;
    when given, the references are moved onto the lab (their mean to the lab's mean) before the
    fit, so they sit where the lab's cells are.
    """
    if method not in METHODS:
        raise ValueError(f"Unknown method {method!r}; use one of {', '.join(METHODS)}.")
    dim = np.shape(reference_embeddings)[1] if reference_embeddings is not None else np.shape(lab_embeddings)[-1]
    x_lab = np.asarray(lab_embeddings, np.float32).reshape(-1, dim)
    y_lab = np.asarray(lab_labels, dtype=object).astype(str)
    needs_references = method in ("references", "weighted", "blend")
    if needs_references and (reference_embeddings is None or reference_labels is None):
        raise ValueError(f"Method {method!r} needs the bundle's reference embeddings and labels.")
    if method in ("lab", "prototype") and len(np.unique(y_lab)) < 2:
        raise NoLabLabelsError(
            f"The lab's labels cover {len(np.unique(y_lab))} class(es); label cells of at least two classes."
        )
    if method == "lab":
        return LabelSetClassifier().fit(x_lab, y_lab)
    if method == "prototype":
        return PrototypeClassifier().fit(x_lab, y_lab)
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


def replication(references: int, lab: int, lab_share: float) -> int:
    """Copies of each lab label so that the lab's labels carry about `lab_share` of the total weight."""
    if not 0.0 < lab_share < 1.0:
        raise ValueError(f"lab_share must be between 0 and 1 (got {lab_share}).")
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


def zoom(image: np.ndarray, factor: float) -> np.ndarray:
    """Rescale the field of view about the centre, keeping the size: >1 crops and enlarges, <1 shrinks and pads.

    Padding uses the median colour of the image border (the slide's background), not a
    mirror, which would add half cells.
    """
    if abs(factor - 1.0) < 1e-3:
        return np.asarray(image)
    height, width = image.shape[:2]
    picture = Image.fromarray(np.asarray(image, np.uint8))
    if factor > 1.0:
        crop_w, crop_h = round(width / factor), round(height / factor)
        left, top = (width - crop_w) // 2, (height - crop_h) // 2
        return np.asarray(picture.crop((left, top, left + crop_w, top + crop_h)).resize((width, height)))
    inner_w, inner_h = max(1, round(width * factor)), max(1, round(height * factor))
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]]).reshape(-1, 3)
    canvas = Image.new("RGB", (width, height), tuple(int(v) for v in np.median(border, axis=0)))
    canvas.paste(picture.resize((inner_w, inner_h)), ((width - inner_w) // 2, (height - inner_h) // 2))
    return np.asarray(canvas)


def style_of(images: Sequence[np.ndarray], max_images: int = 200, seed: int = 0) -> ColourStyle:
    """lαβ mean and std over (a seeded sample of at most `max_images` of) the images' pixels."""
    rows = np.random.default_rng(seed).permutation(len(images))[:max_images]
    return ColourStyle.of([np.asarray(images[i]) for i in sorted(rows)])


def transfer_style(image: np.ndarray, source: ColourStyle, target: ColourStyle) -> np.ndarray:
    """One lab-wide Reinhard map: the lab's lαβ statistics (`source`) onto the training style (`target`)."""
    lab = rgb_to_lab(image).reshape(-1, 3)
    out = (lab - np.asarray(source.mean)) / np.maximum(np.asarray(source.std), 1e-6) * np.asarray(target.std)
    return lab_to_rgb((out + np.asarray(target.mean)).reshape(image.shape))


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

    def coloured(self, prepared: np.ndarray) -> np.ndarray:
        if self.source is None or self.target is None:
            return np.asarray(prepared)
        return transfer_style(prepared, self.source, self.target)


def reference_images(thumbnails: Sequence[bytes], size: int, limit: int = 400, seed: int = 0) -> list[np.ndarray]:
    """Decoded reference thumbnails (a seeded sample) at the encoder's input size: the training style."""
    rows = sorted(np.random.default_rng(seed).permutation(len(thumbnails))[:limit])
    out = []
    for i in rows:
        image = decode_image(thumbnails[i])
        out.append(np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.BILINEAR)))
    return out


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)
