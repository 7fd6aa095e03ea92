"""Checks on every uploaded file before anything of it is stored.

Each rejection carries an HTTP status and a sentence the user can act on; the batch
endpoint reports it per file and carries on with the other files.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from hemosight.ml.errors import HemosightError
from hemosight.ml.imageio import ImageDecodeError, ImageTooLargeError, ImageTooSmallError, decode_image, probe_image

#: Longest file name kept (most file systems' limit); longer names are shortened, keeping their start and extension.
MAX_FILENAME_CHARS = 255
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class UploadRejectedError(HemosightError, ValueError):
    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


@dataclass(frozen=True)
class CheckedUpload:
    filename: str
    format: str
    width: int
    height: int


def clean_filename(raw: str | None) -> str:
    """The plain file name; names that try to point outside (``..``, absolute paths) are refused.

    Browsers may send a folder-relative name ("slide3/cell.jpg") for folder uploads; the
    folder is dropped. Filenames are only ever displayed, never used as paths.
    """
    name = (raw or "").strip()
    if not name:
        return "unnamed"
    if _CONTROL.search(name):
        raise UploadRejectedError(400, "The filename contains control characters; rename the file and upload again.")
    normalised = name.replace("\\", "/")
    if normalised.startswith("/") or _DRIVE.match(normalised) or ".." in normalised.split("/"):
        raise UploadRejectedError(
            400,
            f"The filename {name!r} contains a path ('..' or an absolute path); upload the file under its plain name.",
        )
    base = posixpath.basename(normalised)
    if not base:
        raise UploadRejectedError(400, f"The filename {name!r} names a folder, not a file.")
    return shortened(base)


def shortened(name: str) -> str:
    """`name` cut to `MAX_FILENAME_CHARS` with '…' where it was cut, the extension kept, for display and reports."""
    if len(name) <= MAX_FILENAME_CHARS:
        return name
    stem, ext = posixpath.splitext(name)
    ext = ext if len(ext) <= 16 else ""
    return stem[: MAX_FILENAME_CHARS - len(ext) - 1] + "…" + ext


def check_upload(
    raw_filename: str | None, data: bytes, max_bytes: int, max_pixels: int, size: int | None = None
) -> CheckedUpload:
    """Validate name, size and content (fully decoded, so truncated files are caught here, not in the worker).

    `size`: the file's whole size when known (the caller reads at most `max_bytes` + 1 of it), for the message.
    """
    filename = clean_filename(raw_filename)
    if not data:
        raise UploadRejectedError(400, f"{filename}: the file is empty (0 bytes); export the image again.")
    if len(data) > max_bytes:
        size = max(size or 0, len(data))
        raise UploadRejectedError(
            413,
            f"{filename}: the file is {size:,} bytes ({size / 1e6:.2f} MB), over the {max_bytes:,}-byte "
            f"limit ({max_bytes / 1e6:.2f} MB); upload single-cell crops.",
        )
    try:
        info = probe_image(data, max_pixels)
    except ImageTooLargeError as exc:
        raise UploadRejectedError(413, f"{filename}: {exc}") from None
    except ImageTooSmallError as exc:
        raise UploadRejectedError(400, f"{filename}: {exc}") from None
    except ImageDecodeError as exc:
        raise UploadRejectedError(415, f"{filename}: {exc}") from None
    try:
        decode_image(data, max_pixels)
    except ImageDecodeError as exc:
        raise UploadRejectedError(422, f"{filename}: {exc}") from None
    return CheckedUpload(filename=filename, format=info.format, width=info.width, height=info.height)
