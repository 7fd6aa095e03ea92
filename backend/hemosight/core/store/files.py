"""Durable file writes shared by the store adapters (image bytes, model bundles kept by the store).

Both write to a temporary file in the target folder and rename it, so a reader never sees
half a file under its final name, and a download is checked against its SHA-256 first.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import BinaryIO


def write_atomically(target: Path, write: Callable[[BinaryIO], object]) -> None:
    """Call `write` on a temporary file beside `target`, fsync it, and rename it to `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def copy_atomically(source: Path, target: Path) -> None:
    """Copy `source` to `target` (skipped when a file of the same size is already there)."""
    if target.is_file() and target.stat().st_size == source.stat().st_size:
        return
    with open(source, "rb") as src:
        write_atomically(target, lambda out: shutil.copyfileobj(src, out, 1 << 20))


async def download_verified(read: Callable[[int], Awaitable[bytes]], target: Path, checksum: str) -> bool:
    """Write the chunks `read` returns to `target`; False (and no file) if their SHA-256 is not `checksum`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".download-", suffix=".tmp")
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as handle:
            while chunk := await read(1 << 20):
                digest.update(chunk)
                handle.write(chunk)
        if digest.hexdigest() != checksum:
            return False
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return True
