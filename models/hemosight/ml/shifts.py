"""A synthetic "other lab": the shifts between labs that any pathologist reads through at a glance.

Used to measure robustness and adaptation on cells whose labels we trust (held-out PBC cells),
next to the real other-lab sets in ../shared/data/crosslab. `LabShift` composes, in the order
light meets the camera: a stain re-mix (near-identity 3×3 colour matrix), a warm lamp / white
balance (per-channel gains), a magnification (centre crop and resize back: the cell fills more
of the field), a mild defocus blur and JPEG compression. Deterministic: the same image always
gives the same shifted image, so cached embeddings stay valid.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from hemosight.ml.errors import InputError

#: A stain re-mix: eosin and azure exchange a little of their colour (rows: output R, G, B).
STAIN_REMIX = ((0.90, 0.10, 0.00), (0.06, 0.88, 0.06), (0.00, 0.12, 0.88))


@dataclass(frozen=True)
class LabShift:
    """One fixed lab-to-lab shift; each part can be switched off (identity) to measure it alone."""

    stain_mix: tuple[tuple[float, float, float], ...] = STAIN_REMIX
    #: Per-channel gains of a warm (tungsten) lamp / white balance: more red, less blue.
    lamp_gains: tuple[float, float, float] = (1.12, 1.0, 0.82)
    magnification: float = 1.3
    blur_sigma: float = 1.0
    #: JPEG quality of the lab's export; None: no compression.
    jpeg_quality: int | None = 50

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """RGB uint8 (H, W, 3) → the same cell as the other lab would image it, same size."""
        pixels = np.asarray(image, np.float32)
        pixels = pixels @ np.asarray(self.stain_mix, np.float32).T
        pixels = pixels * np.asarray(self.lamp_gains, np.float32)
        out = Image.fromarray(np.clip(pixels + 0.5, 0, 255).astype(np.uint8))
        if self.magnification != 1.0:
            out = magnify(out, self.magnification)
        if self.blur_sigma > 0:
            out = out.filter(ImageFilter.GaussianBlur(self.blur_sigma))
        if self.jpeg_quality is not None:
            buffer = io.BytesIO()
            out.save(buffer, format="JPEG", quality=self.jpeg_quality)
            out = Image.open(io.BytesIO(buffer.getvalue()))
        return np.asarray(out.convert("RGB"), np.uint8)


IDENTITY = LabShift(
    stain_mix=((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)),
    lamp_gains=(1.0, 1.0, 1.0),
    magnification=1.0,
    blur_sigma=0.0,
    jpeg_quality=None,
)


def magnify(image: Image.Image, factor: float) -> Image.Image:
    """Zoom by `factor` about the centre, keeping the size (factor > 1: crop and enlarge; < 1: not allowed)."""
    if factor < 1.0:
        raise InputError(f"magnification must be at least 1 (got {factor}); a wider field needs pixels we lack.")
    width, height = image.size
    crop_w, crop_h = round(width / factor), round(height / factor)
    left, top = (width - crop_w) // 2, (height - crop_h) // 2
    return image.crop((left, top, left + crop_w, top + crop_h)).resize((width, height), Image.Resampling.BILINEAR)
