"""Back-up and restore of the embedded store (`hemosight backup` / `hemosight restore`).

A backup is one .tar.gz with the SQLite database copied through SQLite's online backup
API (consistent even while the app and workers write), the content-addressed images, the
uploaded model bundles and the token secret, plus a manifest with counts and checksums
that `restore` verifies. Taking one does not stop the service. MongoDB is backed up with
`mongodump`/`mongorestore` instead (README, Deployment).
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from models.errors import HemosightError

DATABASE = "hemosight.sqlite3"
#: Folders and files of the data directory that hold state; `wakeup` and caches are recreated.
CONTENT = ("images", "models", "secret_key")


class BackupError(HemosightError, RuntimeError):
    """The backup cannot be taken or restored; the message says what to do."""


def backup(data_dir: Path, out: Path) -> dict[str, object]:
    """Write a consistent backup of `data_dir` to `out` (.tar.gz); returns its manifest."""
    data_dir = Path(data_dir).expanduser()
    database = data_dir / DATABASE
    if not database.is_file():
        raise BackupError(f"{data_dir} holds no HemoSight database ({DATABASE}); check --data-dir.")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hemosight-backup-") as tmp:
        snapshot = Path(tmp) / DATABASE
        source = sqlite3.connect(database, timeout=30.0)
        target = sqlite3.connect(snapshot)
        try:
            source.backup(target)
            counts = {
                table: target.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in ("users", "projects", "images", "jobs", "results", "model_versions")
            }
            schema = int(target.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])
        finally:
            target.close()
            source.close()
        files: dict[str, str] = {}
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(snapshot, arcname=DATABASE)
            files[DATABASE] = _sha256(snapshot)
            for name in CONTENT:
                path = data_dir / name
                for item in sorted(path.rglob("*")) if path.is_dir() else [path] if path.is_file() else []:
                    if item.is_file() and not item.name.startswith("."):
                        arcname = item.relative_to(data_dir).as_posix()
                        archive.add(item, arcname=arcname)
                        files[arcname] = _sha256(item)
            manifest = {
                "format": "hemosight-backup",
                "format_version": 1,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "schema_version": schema,
                "counts": counts,
                "files": files,
            }
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo("backup-manifest.json")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        partial.replace(out)
    return manifest


def restore(archive_path: Path, data_dir: Path, force: bool = False) -> dict[str, object]:
    """Unpack a backup into an empty `data_dir` (or replace its state with `force`), verifying every checksum."""
    data_dir = Path(data_dir).expanduser()
    if (data_dir / DATABASE).exists() and not force:
        raise BackupError(
            f"{data_dir} already holds a database; stop HemoSight and pass --force to replace it, "
            "or restore into an empty folder."
        )
    if not Path(archive_path).is_file():
        raise BackupError(f"{archive_path} does not exist.")
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            return _unpack(archive, Path(archive_path), data_dir)
    except (tarfile.TarError, EOFError) as exc:
        raise BackupError(f"{archive_path} is not a HemoSight backup, or it is truncated ({exc}).") from None


def _unpack(archive: tarfile.TarFile, archive_path: Path, data_dir: Path) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=_existing_parent(data_dir)) as tmp:
        try:
            manifest = json.loads(archive.extractfile("backup-manifest.json").read())  # type: ignore[union-attr]
        except (KeyError, AttributeError, json.JSONDecodeError):
            raise BackupError(f"{archive_path} has no backup manifest; it is not a HemoSight backup.") from None
        archive.extractall(tmp, filter="data")
        staged = Path(tmp)
        for name, digest in manifest["files"].items():
            if not (staged / name).is_file() or _sha256(staged / name) != digest:
                raise BackupError(f"{archive_path}: {name} is missing or damaged; the backup cannot be used.")
        data_dir.mkdir(parents=True, exist_ok=True)
        for stale in (DATABASE + "-wal", DATABASE + "-shm"):
            (data_dir / stale).unlink(missing_ok=True)
        for name in manifest["files"]:
            target = data_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            (staged / name).replace(target)
        if (data_dir / "secret_key").exists():
            (data_dir / "secret_key").chmod(0o600)
    return manifest


def _existing_parent(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
