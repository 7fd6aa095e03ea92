"""The "usable cell" check every upload gets before it counts.

A linear classifier always answers: an all-white image, a solid strip, a greyscale copy
of a basophil all got a confident class. Before a cell counts in the differential it has
to look like what the encoder was trained on:
- not an extreme aspect ratio (a strip, a line scan, a whole slide row);
- not blank or uniform (almost no contrast);
- stained: not greyscale or colour-stripped (May-Grünwald-Giemsa cells are strongly
  coloured; a greyscale copy has none, a washed-out one little);
- a cell image at all: not mostly white (a transparent background), shapes rather than
  noise or a gradient, the palette of a photographed smear (not a drawing's few colours or
  a landscape photo's thousands), and pink/purple stain with more of it in the middle,
  where the cell is;
- in the embedding, not far from every reference cell: the nearest reference cell is no
  farther than a distance calibrated on the reference cells themselves (the distance
  each reference cell has to its nearest other reference cell, at a high quantile,
  with a margin). On the shipped encoder this catches little that the pixel checks miss
  (non-cells embed close to some reference cell; benchmarks/RESULTS.md), so it is a last
  guard for an encoder that separates them better.

Thresholds live in the bundle's manifest (`quality`); a bundle without them gets the
defaults here, with the distance threshold computed from its reference cells at load.
Measured on held-out PBC cells, the 40 analyzer originals and a synthetic non-cell set
in benchmarks/bench_quality_gate.py (benchmarks/RESULTS.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from PIL import Image

#: Side of the thumbnail the pixel checks run on: statistics, not detail, so a small copy is enough and fast.
CHECK_SIDE = 64


@dataclass(frozen=True)
class CellStatistics:
    """Pixel statistics of one decoded RGB image, on a small copy (values 0-255 unless said otherwise)."""

    contrast: float  # standard deviation of the luminance
    colour: float  # 95th percentile of max(R,G,B) - min(R,G,B): stain shows as chroma
    aspect_ratio: float  # long side / short side of the original
    structure: float  # luminance left after removing row and column means: 0 for flat images and 1-D gradients
    palette: int  # distinct colours at 5 bits per channel: few for drawings and patterns, very many for photos
    white: float  # share of pure-white pixels (a transparent background composites onto white)
    stain: float  # share of pixels whose green is below red and blue (pink and purple: Romanowsky stains)
    centre_stain: float  # how much more stained the centre is than the typical pixel: the cell in the middle


def statistics(image: np.ndarray) -> CellStatistics:
    height, width = image.shape[:2]
    small = np.asarray(
        Image.fromarray(np.asarray(image, np.uint8)).resize((CHECK_SIDE, CHECK_SIDE), Image.Resampling.BILINEAR),
        np.float32,
    )
    luminance = small @ np.array([0.299, 0.587, 0.114], np.float32)
    residual = luminance - luminance.mean(0, keepdims=True) - luminance.mean(1, keepdims=True) + luminance.mean()
    chroma = small.max(axis=2) - small.min(axis=2)
    stain = np.minimum(small[..., 0], small[..., 2]) - small[..., 1]
    quantised = small.astype(np.uint8) >> 3
    codes = quantised[..., 0].astype(np.int32) * 1024 + quantised[..., 1].astype(np.int32) * 32 + quantised[..., 2]
    centre = slice(CHECK_SIDE // 4, 3 * CHECK_SIDE // 4)
    return CellStatistics(
        contrast=float(luminance.std()),
        colour=float(np.percentile(chroma, 95)),
        aspect_ratio=max(height, width) / max(min(height, width), 1),
        structure=float(residual.std()),
        palette=len(np.unique(codes)),
        white=float((small.min(axis=2) > 235).mean()),
        stain=float((stain > 5).mean()),
        centre_stain=float(np.percentile(stain[centre, centre], 95) - np.percentile(stain, 50)),
    )


@dataclass
class QualityGate:
    """Thresholds of the usable-cell check; `check` gives the reason a cell is unusable, or None.

    The pixel thresholds sit well outside every held-out PBC cell and analyzer original
    (benchmarks/bench_quality_gate.py prints the real cells' ranges next to them).
    """

    min_contrast: float = 8.0
    min_colour: float = 20.0
    max_aspect_ratio: float = 2.0
    min_structure: float = 8.0
    min_palette: int = 40
    max_palette: int = 600
    max_white: float = 0.3
    min_stain: float = 0.01
    min_centre_stain: float = 8.0
    #: Largest distance from a usable cell to its nearest reference cell (None: not checked).
    max_reference_distance: float | None = None
    #: How the distance threshold was found, for the model page and the benchmark.
    calibration: dict[str, Any] = field(default_factory=dict)

    def check_image(self, image: np.ndarray) -> str | None:
        """The pixel checks alone (no embedding needed)."""
        stats = statistics(image)
        if stats.aspect_ratio > self.max_aspect_ratio:
            return (
                f"Extreme aspect ratio, not a single-cell image: its sides differ {stats.aspect_ratio:.1f}-fold "
                f"(at most {self.max_aspect_ratio:g}-fold expected)."
            )
        if stats.contrast < self.min_contrast:
            return "Blank or uniform image: there is almost no contrast, so no cell can be seen."
        if stats.white > self.max_white:
            return (
                f"Not a cell image: {100 * stats.white:.0f} % of it is pure white (a transparent or cut-out "
                "background); send the whole crop as the analyzer saved it."
            )
        if stats.colour < self.min_colour:
            return "Greyscale or colour-stripped image: stained blood cells are coloured; classify the original."
        if stats.structure < self.min_structure:
            return "Not a cell image: no shapes, only noise or a smooth gradient."
        if stats.palette < self.min_palette:
            return "Not a cell image: too few colours for a photograph of a stained smear (a drawing or a pattern)."
        if stats.palette > self.max_palette:
            return "Not a cell image: more colours than a stained smear shows (a photograph of something else)."
        if stats.stain < self.min_stain or stats.centre_stain < self.min_centre_stain:
            return "Not a cell image: no stained (pink or purple) cell in the middle of the image."
        return None

    def check(self, image: np.ndarray, nearest_reference_distance: float | None) -> str | None:
        """Why the cell is unusable (in words), or None when it may count."""
        reason = self.check_image(image)
        if reason is not None:
            return reason
        if (
            self.max_reference_distance is not None
            and nearest_reference_distance is not None
            and nearest_reference_distance > self.max_reference_distance
        ):
            return (
                "Does not look like a blood cell: it is far from every reference cell of the model "
                f"(distance {nearest_reference_distance:.2f}, usable cells ≤ {self.max_reference_distance:.2f})."
            )
        return None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> QualityGate:
        known = {k: v for k, v in values.items() if k in cls.__dataclass_fields__}
        return cls(**known)


#: Quantile of the reference cells' nearest-other-reference distances, and the margin above it.
DISTANCE_QUANTILE = 0.999
DISTANCE_MARGIN = 1.25


def reference_distance_threshold(
    references: np.ndarray, quantile: float = DISTANCE_QUANTILE, margin: float = DISTANCE_MARGIN
) -> tuple[float, dict[str, Any]]:
    """The distance threshold from the reference cells: each one's distance to its nearest other reference
    cell, at `quantile`, times `margin` (held-out cells are a little farther than reference cells are from
    each other, as none of them is in the set)."""
    from hemosight.ml.neighbours import NeighbourIndex

    embeddings = np.asarray(references, np.float32)
    if len(embeddings) < 3:
        return float("inf"), {"method": "too few reference cells"}
    distances, indices = NeighbourIndex().add(embeddings).kneighbors(embeddings, 2)
    own = indices[:, 0] == np.arange(len(embeddings))
    nearest_other = np.where(own, distances[:, 1], distances[:, 0])
    value = float(np.quantile(nearest_other, quantile) * margin)
    return value, {
        "method": "nearest other reference cell",
        "quantile": quantile,
        "margin": margin,
        "references": len(embeddings),
    }


def gate_for(references: np.ndarray, stored: dict[str, Any] | None) -> QualityGate:
    """The bundle's gate: its stored thresholds, else the defaults with the distance computed from `references`."""
    gate = QualityGate.from_dict(stored or {})
    if gate.max_reference_distance is None:
        gate.max_reference_distance, gate.calibration = reference_distance_threshold(references)
    return gate
