"""Small JPEG previews of uploaded cells for galleries (128 px), made on demand and cached."""

from __future__ import annotations

import io
from collections import OrderedDict

from PIL import Image

from hemosight.ml.imageio import decode_image

THUMBNAIL_SIZE = 128


#: EXIF orientation → the transpose that shows the image the way cameras and viewers do.
ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def make_thumbnail(data: bytes, size: int = THUMBNAIL_SIZE) -> bytes:
    """A JPEG preview, turned upright by the file's EXIF orientation (decode_image gives the stored pixels)."""
    image = Image.fromarray(decode_image(data))
    try:
        orientation = Image.open(io.BytesIO(data)).getexif().get(0x0112, 1)
    except Exception:  # unreadable EXIF: show the pixels as stored
        orientation = 1
    if orientation in ORIENTATION:
        image = image.transpose(ORIENTATION[orientation])
    image.thumbnail((size, size), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


class ThumbnailCache:
    """Thumbnails by image SHA-256; a gallery page asks for the same few hundred again and again."""

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._items: OrderedDict[str, bytes] = OrderedDict()

    def get(self, sha256: str) -> bytes | None:
        item = self._items.get(sha256)
        if item is not None:
            self._items.move_to_end(sha256)
        return item

    def put(self, sha256: str, thumbnail: bytes) -> None:
        self._items[sha256] = thumbnail
        while len(self._items) > self.size:
            self._items.popitem(last=False)
