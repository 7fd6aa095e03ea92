"""Content-addressed image files for the embedded store: ``<root>/ab/cd/<sha256>``.

The name is the SHA-256 of the bytes, so the same cell uploaded into two projects is kept
once, a write can be repeated safely, and a file can never be half-written under its
final name (temporary file, fsync, rename). Uploaded filenames never reach the file
system, which rules out path traversal by construction.
"""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

from hemosight.core.store.files import write_atomically

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ValueError(f"{sha256!r} is not a SHA-256 hex digest.")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        """Write durably (the upload is acknowledged only after this returns) and return the digest."""
        digest = sha256_of(data)
        target = self.path(digest)
        if target.is_file() and target.stat().st_size == len(data):
            return digest
        write_atomically(target, lambda out: out.write(data))
        return digest

    def get(self, sha256: str) -> bytes | None:
        try:
            return self.path(sha256).read_bytes()
        except (FileNotFoundError, ValueError):
            return None

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def delete(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

    def sweep_temporary(self, older_than_seconds: float = 3600.0) -> int:
        """Remove `.upload-*.tmp` files a crashed process left behind; returns how many.

        Only old ones: a younger file may be an upload another process (a second backend) is writing now.
        """
        cutoff = time.time() - older_than_seconds
        removed = 0
        for path in self.root.glob("*/*/.upload-*.tmp") if self.root.is_dir() else []:
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                pass  # finished (renamed) or swept by another process meanwhile
        return removed
