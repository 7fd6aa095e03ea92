import io

import numpy as np
import pytest
from PIL import Image

from hemosight.ml.imageio import ImageDecodeError, decode_image, probe_image
from tests.conftest import ORIGINALS


def encode(image: Image.Image, fmt: str, **kw) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kw)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("mode", "fmt"),
    [
        ("RGB", "JPEG"),
        ("RGB", "PNG"),
        ("RGBA", "PNG"),
        ("L", "PNG"),
        ("P", "PNG"),
        ("RGB", "BMP"),
        ("I;16", "TIFF"),
        ("LA", "PNG"),
    ],
)
def test_any_mode_decodes_to_rgb_uint8(mode: str, fmt: str) -> None:
    rng = np.random.default_rng(0)
    if mode == "I;16":
        image = Image.fromarray(rng.integers(0, 65535, (20, 30), dtype=np.uint16))
    else:
        image = Image.fromarray(rng.integers(0, 255, (20, 30, 3), dtype=np.uint8)).convert(mode)
    out = decode_image(encode(image, fmt))
    assert out.shape == (20, 30, 3)
    assert out.dtype == np.uint8


def test_sixteen_bit_is_rescaled_not_clipped() -> None:
    ramp = np.linspace(0, 65535, 64 * 8, dtype=np.uint16).reshape(8, 64)
    out = decode_image(encode(Image.fromarray(ramp), "TIFF"))
    assert out[..., 0].min() == 0 and out[..., 0].max() == 255
    assert len(np.unique(out[..., 0])) > 100


def test_analyzer_jpeg_decodes() -> None:
    data = next(ORIGINALS.glob("*.jpg")).read_bytes()
    assert decode_image(data).shape[:2] == (363, 360)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"hello, this is a text file\n" * 10, "text"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"\x00\x01\x02\x03garbage" * 20, "not a recognised image"),
    ],
)
def test_non_images_raise_clear_error(data: bytes, words: str) -> None:
    with pytest.raises(ImageDecodeError, match=words):
        decode_image(data)


def test_truncated_jpeg_is_refused() -> None:
    data = next(ORIGINALS.glob("*.jpg")).read_bytes()
    with pytest.raises(ImageDecodeError, match="damaged or truncated"):
        decode_image(data[: len(data) // 2])


def test_decompression_bomb_is_refused_from_header() -> None:
    bomb = Image.new("1", (30000, 30000))
    data = encode(bomb, "PNG")
    with pytest.raises(ImageDecodeError, match="pixel"):
        probe_image(data)


def test_unsupported_format_is_named() -> None:
    image = Image.new("RGB", (16, 16))
    with pytest.raises(ImageDecodeError, match="Unsupported image format"):
        decode_image(encode(image, "ICO"))
