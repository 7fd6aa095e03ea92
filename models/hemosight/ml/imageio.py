"""Decode any image a lab may upload into an RGB uint8 array.

Analyzers export JPEG, but labs also send PNG, BMP, 16-bit TIFF, palette or
grayscale images. Everything that is not a decodable image raises
`ImageDecodeError` with a message a user can act on, never a library traceback.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError

from hemosight.ml.errors import HemosightError

#: Largest image we decode (pixels). A WBC crop is ~360x363; anything above this
#: is a decompression bomb or not a cell crop.
MAX_PIXELS = 40_000_000

SUPPORTED_FORMATS = ("JPEG", "PNG", "BMP", "TIFF", "GIF", "WEBP")


class ImageDecodeError(HemosightError, ValueError):
    """The bytes are not an image HemoSight can read; the message says why."""


class ImageTooLargeError(ImageDecodeError):
    """More pixels than the limit (a whole slide, or a decompression bomb)."""


class ImageTooSmallError(ImageDecodeError):
    """Fewer pixels than a cell crop can have."""


def formats_in_words() -> str:
    """The supported formats as a user reads them (one list for every message)."""
    return ", ".join(SUPPORTED_FORMATS[:-1]) + " or " + SUPPORTED_FORMATS[-1]


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int
    mode: str


def probe_image(data: bytes, max_pixels: int = MAX_PIXELS) -> ImageInfo:
    """Read only the header: format and size, without decoding the pixels."""
    if not data:
        raise ImageDecodeError("The file is empty (0 bytes).")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        error = ImageTooLargeError if not isinstance(exc, UnidentifiedImageError) else ImageDecodeError
        raise error(_describe_unreadable(data, exc)) from None
    except Exception as exc:  # Pillow raises many types for malformed headers
        raise ImageDecodeError(f"The file is not a readable image ({type(exc).__name__}).") from None
    fmt = (image.format or "").upper()
    if fmt not in SUPPORTED_FORMATS:
        raise ImageDecodeError(f"Unsupported image format {fmt or 'unknown'}; upload {formats_in_words()} cell crops.")
    width, height = image.size
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"The image is {width}x{height} pixels, larger than the {max_pixels:,}-pixel limit; "
            "upload single-cell crops, not whole slides."
        )
    if width < 8 or height < 8:
        raise ImageTooSmallError(f"The image is only {width}x{height} pixels; a cell crop needs at least 8x8.")
    return ImageInfo(format=fmt, width=width, height=height, mode=image.mode)


def decode_image(data: bytes, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode to an (H, W, 3) uint8 RGB array, whatever the mode or bit depth."""
    probe_image(data, max_pixels)
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
        return to_rgb_array(image)
    except ImageDecodeError:
        raise
    except Exception as exc:
        raise ImageDecodeError(
            f"The image is damaged or truncated and cannot be decoded ({type(exc).__name__})."
        ) from None


def to_rgb_array(image: Image.Image) -> np.ndarray:
    """Convert any Pillow mode to RGB uint8; 16-bit and float data are rescaled, not clipped."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        array = np.asarray(image, dtype=np.float64)
        high = 65535.0 if image.mode.startswith("I;16") or array.max() > 255 else 255.0
        gray = np.clip(array / high * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


def encode_jpeg(array: np.ndarray, quality: int = 85) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def _describe_unreadable(data: bytes, exc: Exception) -> str:
    if isinstance(exc, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        return "The image has too many pixels (possible decompression bomb); upload single-cell crops."
    head = data[:8]
    if head.startswith(b"%PDF"):
        return f"The file is a PDF, not an image; export the cell crops as {formats_in_words()}."
    if all(32 <= b < 127 or b in (9, 10, 13) for b in data[:512]):
        return f"The file is text, not an image; upload {formats_in_words()} cell crops."
    return f"The file is not a recognised image format; upload {formats_in_words()} cell crops."
