"""Back-up and restore of the embedded store (`hemosight backup` / `hemosight restore`).

A backup is one .tar.gz with the SQLite database copied through SQLite's online backup
API (consistent even while the app and workers write), the image files its rows name, the
uploaded model bundles and (only with `include_secret_key`) the token-signing key, plus a
manifest with counts and checksums that `restore` verifies. Taking one does not stop the
service. MongoDB is backed up with `mongodump`/`mongorestore` instead (README, Deployment).

Consistency: the image files are chosen from the snapshot, not from the folder, so files
uploaded after it are left out; a file the snapshot names but that is gone (a project deleted
while the backup ran) means the snapshot is already stale, so a new one is taken. `restore`
refuses an archive with an image row whose file is missing. The archive is written mode 0600:
it holds every patient image and the password hashes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hemosight.ml.errors import HemosightError

DATABASE = "hemosight.sqlite3"
SECRET_KEY = "secret_key"
#: How often a snapshot is retaken when files it names vanished during the copy.
SNAPSHOT_ATTEMPTS = 5


class BackupError(HemosightError, RuntimeError):
    """The backup cannot be taken or restored; the message says what to do."""


def backup(data_dir: Path, out: Path, include_secret_key: bool = False) -> dict[str, object]:
    """Write a consistent backup of `data_dir` to `out` (.tar.gz, mode 0600); returns its manifest.

    The token-signing key is left out unless `include_secret_key`: without it, a restored store signs
    new tokens with a new key (everyone signs in again), and a stolen backup cannot forge sign-ins.
    """
    data_dir = Path(data_dir).expanduser()
    database = data_dir / DATABASE
    if not database.is_file():
        raise BackupError(f"{data_dir} holds no HemoSight database ({DATABASE}); check --data-dir.")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    missing: list[str] = []
    for _ in range(SNAPSHOT_ATTEMPTS):
        with tempfile.TemporaryDirectory(prefix="hemosight-backup-") as tmp:
            snapshot = Path(tmp) / DATABASE
            counts, schema = _snapshot(database, snapshot)
            images = [f"images/{s[:2]}/{s[2:4]}/{s}" for s in _image_digests(snapshot)]
            missing = [name for name in images if not (data_dir / name).is_file()]
            if missing:
                continue  # rows whose files were deleted after the snapshot: take a fresh one
            extra = [p for p in sorted((data_dir / "models").rglob("*")) if p.is_file() and not p.name.startswith(".")]
            names = [*images, *[p.relative_to(data_dir).as_posix() for p in extra]]
            if include_secret_key and (data_dir / SECRET_KEY).is_file():
                names.append(SECRET_KEY)
            try:
                return _write_archive(out, snapshot, data_dir, names, counts, schema)
            except FileNotFoundError:
                continue  # a file went away while being copied: start again from a new snapshot
    raise BackupError(
        f"{len(missing)} image row(s) of the database have no file (first: {missing[0] if missing else '?'}); "
        f"the backup was not written. Check the data folder's disk, or restore the missing files first."
    )


def _snapshot(database: Path, snapshot: Path) -> tuple[dict[str, int], int]:
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
    return counts, schema


def _image_digests(database: Path) -> list[str]:
    """The SHA-256 of every image row (content-addressed: one file per distinct digest)."""
    with sqlite3.connect(database) as conn:
        return sorted({row[0] for row in conn.execute("SELECT DISTINCT sha256 FROM images")})


def _write_archive(
    out: Path, snapshot: Path, data_dir: Path, names: list[str], counts: dict[str, int], schema: int
) -> dict[str, object]:
    files: dict[str, str] = {}
    partial = out.with_name(out.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # also when a partial file was left behind with other permissions
    try:
        with os.fdopen(fd, "wb") as handle, tarfile.open(fileobj=handle, mode="w:gz") as archive:
            archive.add(snapshot, arcname=DATABASE)
            files[DATABASE] = _sha256(snapshot)
            for name in names:
                archive.add(data_dir / name, arcname=name)
                files[name] = _sha256(data_dir / name)
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
    finally:
        partial.unlink(missing_ok=True)
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
        if (staged / DATABASE).is_file():
            holes = [
                s for s in _image_digests(staged / DATABASE) if not (staged / f"images/{s[:2]}/{s[2:4]}/{s}").is_file()
            ]
            if holes:
                raise BackupError(
                    f"{archive_path}: {len(holes)} image row(s) have no image file in the backup (first: {holes[0]}); "
                    "it was taken while images were deleted. Use another backup."
                )
        data_dir.mkdir(parents=True, exist_ok=True)
        for stale in (DATABASE + "-wal", DATABASE + "-shm"):
            (data_dir / stale).unlink(missing_ok=True)
        for name in manifest["files"]:
            target = data_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            (staged / name).replace(target)
        if (data_dir / SECRET_KEY).exists():
            (data_dir / SECRET_KEY).chmod(0o600)
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
