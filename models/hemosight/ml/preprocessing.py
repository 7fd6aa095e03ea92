"""Colour and geometry preprocessing shared by training and inference.

The PBC training crops (benchmarks/datasets.py) are the centre 288 px of each 360 px analyzer
image, resized to 224 px; labs upload the full 360 px originals. `Preprocessing`
records the field of view the encoder was trained on so that `prepare` makes an
uploaded original look like a training crop: centre-crop to the field of view at
the analyzer's scale, then resize to the encoder input.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Preprocessing:
    """How a decoded crop becomes encoder input. Stored in every model bundle."""

    input_size: int = 224
    #: Side of the field of view at the analyzer's native scale (pixels).
    field_of_view: int = 288
    #: Images whose shorter side is at least this are taken to be at the analyzer's
    #: native scale (≈360 px crops) and are centre-cropped to `field_of_view`.
    native_min_side: int = 320
    gray_world: bool = True
    #: A lab's standardisation to the training style (hemosight.ml.adaptation.LabStandardiser), set by
    #: adapting a model to a lab: a zoom of the decoded image about its centre, and a Reinhard lαβ map
    #: of the prepared image given as (source mean, source std, target mean, target std). Defaults: none.
    lab_zoom: float = 1.0
    lab_colour: tuple[tuple[float, float, float], ...] | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, object]) -> Preprocessing:
        known = {k: values[k] for k in cls.__dataclass_fields__ if k in values}
        colour = known.get("lab_colour")
        if isinstance(colour, list | tuple):  # JSON gives lists; a frozen dataclass keeps tuples (hashable)
            known["lab_colour"] = tuple(tuple(float(v) for v in row) for row in colour)
        return cls(**known)  # type: ignore[arg-type]

    def prepare(self, image: np.ndarray) -> np.ndarray:
        """RGB uint8 of any size → (input_size, input_size, 3) uint8 ready for the encoder."""
        if abs(self.lab_zoom - 1.0) > 1e-3:
            image = zoom(image, self.lab_zoom)
        image = crop_field_of_view(image, self.field_of_view, self.native_min_side)
        image = resize(image, self.input_size)
        image = gray_world(image) if self.gray_world else image
        if self.lab_colour is not None:
            source_mean, source_std, target_mean, target_std = self.lab_colour
            image = transfer_style(image, ColourStyle(source_mean, source_std), ColourStyle(target_mean, target_std))
        return image


def analysed_square(height: int, width: int, preprocessing: Preprocessing) -> tuple[int, int, int]:
    """(top, left, side) of the square of an uploaded image that `Preprocessing.prepare` feeds the encoder, in
    the image's own pixels: the centred field of view, scaled back by the lab's zoom (it may reach past the
    edges when the zoom is below 1, where `prepare` pads). The reference cells' thumbnails show this square of
    theirs, so a viewer shows a cell at the reference cells' scale by showing this square at their size; the
    explanation's heatmap covers it."""
    side = min(height, width)
    if side >= preprocessing.native_min_side:
        side = min(side, preprocessing.field_of_view)
    zoom = preprocessing.lab_zoom if abs(preprocessing.lab_zoom - 1.0) > 1e-3 else 1.0
    original = max(1, round(side / zoom))
    return (height - original) // 2, (width - original) // 2, original


def crop_field_of_view(image: np.ndarray, field_of_view: int, native_min_side: int) -> np.ndarray:
    """Centre-crop analyzer-scale images to the trained field of view; square-crop others."""
    height, width = image.shape[:2]
    side = min(height, width)
    if side >= native_min_side:
        side = min(side, field_of_view)
    top, left = (height - side) // 2, (width - side) // 2
    return image[top : top + side, left : left + side]


def resize(image: np.ndarray, size: int) -> np.ndarray:
    if image.shape[0] == size and image.shape[1] == size:
        return image
    return np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0))


def gray_world(image: np.ndarray) -> np.ndarray:
    """Gray-world white balance: scale each channel so that its mean equals the overall mean.

    Removes the stain and illumination cast that differs between slides and scanners.
    """
    pixels = image.astype(np.float32)
    means = pixels.reshape(-1, 3).mean(axis=0)
    gains = means.mean() / np.maximum(means, 1e-6)
    return np.clip(pixels * gains + 0.5, 0, 255).astype(np.uint8)


# --- Reinhard colour transfer (Lab space), for images from another lab's staining ---

_RGB2LMS = np.array([[0.3811, 0.5783, 0.0402], [0.1967, 0.7244, 0.0782], [0.0241, 0.1288, 0.8444]])
_LMS2LAB = np.diag([1 / np.sqrt(3), 1 / np.sqrt(6), 1 / np.sqrt(2)]) @ np.array([[1, 1, 1], [1, 1, -2], [1, -1, 0]])


def rgb_to_lab(image: np.ndarray) -> np.ndarray:
    """Ruderman's lαβ space, the one Reinhard et al. transfer colour statistics in."""
    rgb = np.clip(image.reshape(-1, 3).astype(np.float64), 1.0, 255.0)
    lms = np.log10(rgb @ _RGB2LMS.T)
    return (lms @ _LMS2LAB.T).reshape(image.shape)


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    lms = 10 ** (lab.reshape(-1, 3) @ np.linalg.inv(_LMS2LAB).T)
    rgb = lms @ np.linalg.inv(_RGB2LMS).T
    return np.clip(rgb + 0.5, 0, 255).astype(np.uint8).reshape(lab.shape)


@dataclass(frozen=True)
class ColourStyle:
    """Per-channel mean and std in lαβ: the target style of a Reinhard transfer."""

    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    @classmethod
    def of(cls, images: list[np.ndarray]) -> ColourStyle:
        lab = np.concatenate([rgb_to_lab(im).reshape(-1, 3) for im in images])
        return cls(tuple(lab.mean(axis=0)), tuple(lab.std(axis=0)))


def reinhard_transfer(image: np.ndarray, style: ColourStyle) -> np.ndarray:
    """Match the image's lαβ mean and std to `style` (Reinhard et al., 2001)."""
    lab = rgb_to_lab(image)
    flat = lab.reshape(-1, 3)
    mean, std = flat.mean(axis=0), np.maximum(flat.std(axis=0), 1e-6)
    out = (flat - mean) / std * np.asarray(style.std) + np.asarray(style.mean)
    return lab_to_rgb(out.reshape(lab.shape))


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


def transfer_style(image: np.ndarray, source: ColourStyle, target: ColourStyle) -> np.ndarray:
    """One lab-wide Reinhard map: the lab's lαβ statistics (`source`) onto the training style (`target`)."""
    lab = rgb_to_lab(image).reshape(-1, 3)
    out = (lab - np.asarray(source.mean)) / np.maximum(np.asarray(source.std), 1e-6) * np.asarray(target.std)
    return lab_to_rgb((out + np.asarray(target.mean)).reshape(image.shape))
