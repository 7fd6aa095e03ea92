"""The embedded store: one SQLite file (WAL mode) plus a content-addressed image folder.

Needs no server, so `hemosight serve` works on a lab PC out of the box. The backend and
each worker process open their own connection; WAL lets readers run while one writer
commits, and every state change of a job is a single `BEGIN IMMEDIATE` transaction, which
is what makes claiming atomic across processes.

All SQL runs on one private thread per store (sqlite3 connections are not meant to be
shared between threads), so the async methods never block the event loop.

Waking workers: a writer that queues work writes a new random token to ``<data_dir>/wakeup``;
a waiting worker reads that small file every 50 ms (no database access), so it starts on
new jobs at once while the database itself is polled only every few seconds (for leases
that expired).
"""

from __future__ import annotations

import asyncio
import json
import math
import sqlite3
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from backend.store.base import (
    SCHEMA_VERSION,
    CellLabel,
    ClassifierVersion,
    ConflictError,
    Image,
    ImageEntry,
    Job,
    LabelEvent,
    LabelSet,
    ModelVersion,
    NeighbourRecord,
    Project,
    Result,
    ResultVector,
    StoreError,
    User,
    check_undoable,
    undo_of,
    utcnow,
)
from backend.store.blobs import BlobStore, sha256_of

T = TypeVar("T")

#: Label sets, the lab's labels with their audit trail, and classifiers refitted by the workers (schema 2).
LABEL_TABLES = """
CREATE TABLE IF NOT EXISTS label_sets (
    name TEXT PRIMARY KEY, classes TEXT NOT NULL, kind TEXT NOT NULL, description TEXT NOT NULL,
    created_by TEXT NOT NULL, labels_version INTEGER NOT NULL DEFAULT 0,
    fitted_labels_version INTEGER NOT NULL DEFAULT 0, fitted_model_version TEXT, status TEXT NOT NULL,
    message TEXT, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS labels (
    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE, label_set TEXT NOT NULL,
    project_id TEXT NOT NULL, label TEXT NOT NULL, source TEXT NOT NULL, user_id TEXT NOT NULL,
    event_id TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (image_id, label_set));
CREATE INDEX IF NOT EXISTS labels_label_set ON labels(label_set, project_id);
CREATE TABLE IF NOT EXISTS label_events (
    id TEXT PRIMARY KEY, image_id TEXT NOT NULL, project_id TEXT NOT NULL, label_set TEXT NOT NULL,
    label TEXT, previous_label TEXT, source TEXT NOT NULL, user_id TEXT NOT NULL, action TEXT NOT NULL,
    undoes TEXT, undone_by TEXT, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS label_events_cell ON label_events(image_id, label_set);
CREATE TABLE IF NOT EXISTS classifiers (
    label_set TEXT NOT NULL, version INTEGER NOT NULL, model_version TEXT NOT NULL,
    labels_version INTEGER NOT NULL, classes TEXT NOT NULL, arrays BLOB NOT NULL, support_size INTEGER NOT NULL,
    metrics TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (label_set, version));
"""

SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
    role TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS projects (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, owner_id TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS project_members (
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE, user_id TEXT NOT NULL,
    PRIMARY KEY (project_id, user_id));
CREATE INDEX IF NOT EXISTS project_members_user ON project_members(user_id);
CREATE TABLE IF NOT EXISTS images (
    id TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    filename TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL, format TEXT NOT NULL,
    width INTEGER NOT NULL, height INTEGER NOT NULL, uploaded_by TEXT NOT NULL, uploaded_at TEXT NOT NULL,
    UNIQUE (project_id, sha256));
CREATE INDEX IF NOT EXISTS images_sha256 ON images(sha256);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, image_id TEXT NOT NULL UNIQUE REFERENCES images(id) ON DELETE CASCADE,
    project_id TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, error TEXT,
    worker_id TEXT, lease_expires_at REAL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status, created_at);
CREATE TABLE IF NOT EXISTS results (
    image_id TEXT PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE, project_id TEXT NOT NULL,
    job_id TEXT NOT NULL, model_version TEXT NOT NULL, default_label_set TEXT NOT NULL,
    labels TEXT NOT NULL, probabilities TEXT NOT NULL, neighbours TEXT NOT NULL,
    landscape_x REAL, landscape_y REAL, created_at TEXT NOT NULL, embedding BLOB, unusable TEXT);
CREATE INDEX IF NOT EXISTS results_project ON results(project_id);
CREATE INDEX IF NOT EXISTS results_model ON results(model_version);
CREATE TABLE IF NOT EXISTS model_versions (
    version TEXT PRIMARY KEY, path TEXT NOT NULL, checksum TEXT NOT NULL, default_label_set TEXT NOT NULL,
    label_sets TEXT NOT NULL, metrics TEXT NOT NULL, created TEXT NOT NULL, reference_count INTEGER NOT NULL,
    active INTEGER NOT NULL DEFAULT 0, registered_at TEXT NOT NULL, registered_by TEXT NOT NULL DEFAULT '',
    activated_at TEXT);
"""
    + LABEL_TABLES
    + """
CREATE TABLE IF NOT EXISTS usable_confirmations (
    image_id TEXT PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE, project_id TEXT NOT NULL,
    user_id TEXT NOT NULL, confirmed_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS usable_confirmations_project ON usable_confirmations(project_id);
"""
)

#: Migrations from version n to n+1, applied in order at open.
MIGRATIONS: dict[int, str] = {
    # 1 → 2: results keep their embedding; label sets, labels, their audit trail and refitted classifiers.
    # Model versions record who registered them and when they were last activated (rollback).
    1: "ALTER TABLE model_versions ADD COLUMN registered_by TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE model_versions ADD COLUMN activated_at TEXT;"
    "ALTER TABLE results ADD COLUMN embedding BLOB;"
    "CREATE INDEX IF NOT EXISTS results_model ON results(model_version);" + LABEL_TABLES,
    # 2 → 3: the usable-cell check's verdict per result, and people's confirmations of flagged cells.
    2: "ALTER TABLE results ADD COLUMN unusable TEXT;"
    "CREATE TABLE IF NOT EXISTS usable_confirmations ("
    " image_id TEXT PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE, project_id TEXT NOT NULL,"
    " user_id TEXT NOT NULL, confirmed_at TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS usable_confirmations_project ON usable_confirmations(project_id);",
}

WAKE_CHECK_SECONDS = 0.05


def lease_lost_message(attempts: int) -> str:
    return (
        f"Classification was interrupted {attempts} times before it finished (the worker stopped or ran out "
        "of memory). Upload the image again; if it keeps failing, ask your administrator to check the worker logs."
    )


class SQLiteStore:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir).expanduser()
        self.db_path = self.data_dir / "hemosight.sqlite3"
        self.blobs = BlobStore(self.data_dir / "images")
        self.wakeup_path = self.data_dir / "wakeup"
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-store")
        self._conn: sqlite3.Connection | None = None
        self._seen_wakeup = "-"

    # --- plumbing ----------------------------------------------------------------------
    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError("The store is not open; call open() first.")
        return self._conn

    def _transaction(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            value = fn(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return value

    def _wake(self) -> None:
        # A fresh random token rather than a touch: two wake-ups within one file-system clock tick still differ.
        self.wakeup_path.write_text(uuid.uuid4().hex)

    def _wakeup_stamp(self) -> str:
        try:
            return self.wakeup_path.read_text()
        except FileNotFoundError:
            return ""

    # --- lifecycle ---------------------------------------------------------------------
    async def open(self) -> None:
        await self._run(self._open)

    def _open(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.db_path, isolation_level=None, timeout=30.0, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        self._conn = conn
        self._transaction(self._migrate)
        if not self.wakeup_path.exists():
            self.wakeup_path.touch()

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            for statement in filter(str.strip, SCHEMA.split(";")):
                conn.execute(statement)
            conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            return
        version = int(row["value"])
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"The database {self.db_path} has schema version {version}, newer than this HemoSight "
                f"({SCHEMA_VERSION}). Upgrade HemoSight, or point --data-dir at another folder."
            )
        while version < SCHEMA_VERSION:
            for statement in filter(str.strip, MIGRATIONS[version].split(";")):
                conn.execute(statement)
            version += 1
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))

    async def close(self) -> None:
        if self._conn is not None:
            await self._run(self._conn.close)
            self._conn = None
        self._executor.shutdown(wait=True)

    async def ping(self) -> bool:
        try:
            await self._run(lambda: self.conn.execute("SELECT 1").fetchone())
        except (sqlite3.Error, StoreError):
            return False
        return True

    async def schema_version(self) -> int:
        row = await self._run(lambda: self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone())
        return int(row["value"])

    # --- users -------------------------------------------------------------------------
    async def create_user(self, user: User) -> User:
        def insert() -> User:
            try:
                self.conn.execute(
                    "INSERT INTO users VALUES (?, ?, ?, ?, ?)",
                    (user.id, user.username, user.password_hash, user.role, user.created_at.isoformat()),
                )
            except sqlite3.IntegrityError:
                raise ConflictError(f"The username {user.username!r} is already taken; choose another.") from None
            return user

        return await self._run(insert)

    async def get_user(self, user_id: str) -> User | None:
        row = await self._run(lambda: self.conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone())
        return _user(row) if row else None

    async def get_user_by_username(self, username: str) -> User | None:
        row = await self._run(
            lambda: self.conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
        )
        return _user(row) if row else None

    async def list_users(self) -> list[User]:
        rows = await self._run(lambda: self.conn.execute("SELECT * FROM users ORDER BY username").fetchall())
        return [_user(r) for r in rows]

    async def update_user(self, user: User) -> None:
        def update() -> None:
            try:
                self.conn.execute(
                    "UPDATE users SET username = ?, password_hash = ?, role = ? WHERE id = ?",
                    (user.username, user.password_hash, user.role, user.id),
                )
            except sqlite3.IntegrityError:
                raise ConflictError(f"The username {user.username!r} is already taken; choose another.") from None

        await self._run(update)

    async def delete_user(self, user_id: str) -> bool:
        def delete(conn: sqlite3.Connection) -> bool:
            conn.execute("DELETE FROM project_members WHERE user_id = ?", (user_id,))
            return conn.execute("DELETE FROM users WHERE id = ?", (user_id,)).rowcount == 1

        return await self._run(self._transaction, delete)

    async def count_users(self) -> int:
        row = await self._run(lambda: self.conn.execute("SELECT COUNT(*) AS n FROM users").fetchone())
        return int(row["n"])

    # --- projects ----------------------------------------------------------------------
    async def create_project(self, project: Project) -> Project:
        if project.owner_id not in project.member_ids:
            project.member_ids = [project.owner_id, *project.member_ids]

        def insert(conn: sqlite3.Connection) -> Project:
            conn.execute(
                "INSERT INTO projects VALUES (?, ?, ?, ?)",
                (project.id, project.name, project.owner_id, project.created_at.isoformat()),
            )
            conn.executemany("INSERT INTO project_members VALUES (?, ?)", [(project.id, m) for m in project.member_ids])
            return project

        return await self._run(self._transaction, insert)

    def _projects(self, where: str, args: tuple[Any, ...]) -> list[Project]:
        rows = self.conn.execute(f"SELECT * FROM projects {where} ORDER BY created_at, rowid", args).fetchall()
        members: dict[str, list[str]] = {r["id"]: [] for r in rows}
        if rows:
            marks = ",".join("?" * len(rows))
            for m in self.conn.execute(
                f"SELECT project_id, user_id FROM project_members WHERE project_id IN ({marks})", tuple(members)
            ):
                members[m["project_id"]].append(m["user_id"])
        return [
            Project(
                id=r["id"],
                name=r["name"],
                owner_id=r["owner_id"],
                member_ids=sorted(members[r["id"]]),
                created_at=datetime.fromisoformat(r["created_at"]),
            )
            for r in rows
        ]

    async def get_project(self, project_id: str) -> Project | None:
        projects = await self._run(self._projects, "WHERE id = ?", (project_id,))
        return projects[0] if projects else None

    async def list_projects(self, member_id: str | None = None) -> list[Project]:
        if member_id is None:
            return await self._run(self._projects, "", ())
        return await self._run(
            self._projects, "WHERE id IN (SELECT project_id FROM project_members WHERE user_id = ?)", (member_id,)
        )

    async def update_project(self, project: Project) -> None:
        def update(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE projects SET name = ? WHERE id = ?", (project.name, project.id))
            conn.execute("DELETE FROM project_members WHERE project_id = ?", (project.id,))
            members = set(project.member_ids) | {project.owner_id}
            conn.executemany("INSERT INTO project_members VALUES (?, ?)", [(project.id, m) for m in members])

        await self._run(self._transaction, update)

    async def delete_project(self, project_id: str) -> bool:
        def delete(conn: sqlite3.Connection) -> tuple[bool, list[str]]:
            hashes = {
                r["sha256"] for r in conn.execute("SELECT sha256 FROM images WHERE project_id = ?", (project_id,))
            }
            deleted = conn.execute("DELETE FROM projects WHERE id = ?", (project_id,)).rowcount == 1
            unused = [
                h for h in hashes if conn.execute("SELECT 1 FROM images WHERE sha256 = ?", (h,)).fetchone() is None
            ]
            return deleted, unused

        def delete_then_remove_files() -> bool:
            # Files go after the commit, on the same thread as every upload of this store, so no upload
            # of the same bytes can slip in between.
            deleted, unused = self._transaction(delete)
            for digest in unused:
                self.blobs.delete(digest)
            return deleted

        return await self._run(delete_then_remove_files)

    # --- images ------------------------------------------------------------------------
    async def add_image(self, image: Image, data: bytes) -> tuple[Image, Job, bool]:
        image.sha256 = sha256_of(data)
        image.size = len(data)

        def add(conn: sqlite3.Connection) -> tuple[Image, Job, bool]:
            row = conn.execute(
                "SELECT * FROM images WHERE project_id = ? AND sha256 = ?", (image.project_id, image.sha256)
            ).fetchone()
            if row is not None:
                job_row = conn.execute("SELECT * FROM jobs WHERE image_id = ?", (row["id"],)).fetchone()
                return _image(row), _job(job_row), True
            if conn.execute("SELECT 1 FROM projects WHERE id = ?", (image.project_id,)).fetchone() is None:
                raise LookupError(f"Project {image.project_id} no longer exists.")
            # Bytes first, inside the write lock: a concurrent project deletion cannot remove them in between.
            self.blobs.put(data)
            conn.execute(
                "INSERT INTO images VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    image.id,
                    image.project_id,
                    image.filename,
                    image.sha256,
                    image.size,
                    image.format,
                    image.width,
                    image.height,
                    image.uploaded_by,
                    image.uploaded_at.isoformat(),
                ),
            )
            job = Job(image_id=image.id, project_id=image.project_id)
            conn.execute(
                "INSERT INTO jobs (id, image_id, project_id, status, attempts, created_at, updated_at)"
                " VALUES (?, ?, ?, 'pending', 0, ?, ?)",
                (job.id, job.image_id, job.project_id, job.created_at.isoformat(), job.updated_at.isoformat()),
            )
            return image, job, False

        result = await self._run(self._transaction, add)
        if not result[2]:
            self._wake()
        return result

    async def get_image(self, image_id: str) -> Image | None:
        row = await self._run(lambda: self.conn.execute("SELECT * FROM images WHERE id = ?", (image_id,)).fetchone())
        return _image(row) if row else None

    def _entries(self, project_id: str) -> list[ImageEntry]:
        conn = self.conn
        images = conn.execute(
            "SELECT * FROM images WHERE project_id = ? ORDER BY uploaded_at, rowid", (project_id,)
        ).fetchall()
        jobs = {r["image_id"]: _job(r) for r in conn.execute("SELECT * FROM jobs WHERE project_id = ?", (project_id,))}
        results = {
            r["image_id"]: _result(r) for r in conn.execute("SELECT * FROM results WHERE project_id = ?", (project_id,))
        }
        return [ImageEntry(_image(r), jobs[r["id"]], results.get(r["id"])) for r in images]

    async def get_image_entry(self, image_id: str) -> ImageEntry | None:
        def read() -> list[ImageEntry]:
            images = self.conn.execute("SELECT * FROM images WHERE id = ?", (image_id,)).fetchall()
            if not images:
                return []
            job = self.conn.execute("SELECT * FROM jobs WHERE image_id = ?", (image_id,)).fetchone()
            result = self.conn.execute("SELECT * FROM results WHERE image_id = ?", (image_id,)).fetchone()
            return [ImageEntry(_image(images[0]), _job(job), _result(result) if result else None)]

        entries = await self._run(read)
        return entries[0] if entries else None

    async def list_image_entries(self, project_id: str) -> list[ImageEntry]:
        return await self._run(self._entries, project_id)

    async def read_image_bytes(self, sha256: str) -> bytes | None:
        return await asyncio.to_thread(self.blobs.get, sha256)

    # --- jobs --------------------------------------------------------------------------
    async def get_job(self, job_id: str) -> Job | None:
        row = await self._run(lambda: self.conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone())
        return _job(row) if row else None

    async def claim_jobs(self, worker_id: str, limit: int, lease_seconds: float, max_attempts: int) -> list[Job]:
        # Read the wake-up stamp before looking for work, so a job queued after this point is never missed.
        self._seen_wakeup = self._wakeup_stamp()

        def claim(conn: sqlite3.Connection) -> list[Job]:
            now, stamp = time.time(), utcnow().isoformat()
            expired = conn.execute(
                "SELECT id, attempts, error FROM jobs WHERE status = 'running' AND lease_expires_at < ?", (now,)
            ).fetchall()
            for row in expired:
                if row["attempts"] >= max_attempts:
                    conn.execute(
                        "UPDATE jobs SET status = 'failed', error = ?, worker_id = NULL, lease_expires_at = NULL,"
                        " updated_at = ? WHERE id = ?",
                        (row["error"] or lease_lost_message(row["attempts"]), stamp, row["id"]),
                    )
                else:
                    conn.execute(
                        "UPDATE jobs SET status = 'pending', worker_id = NULL, lease_expires_at = NULL,"
                        " updated_at = ? WHERE id = ?",
                        (stamp, row["id"]),
                    )
            ids = [
                r["id"]
                for r in conn.execute(
                    "SELECT id FROM jobs WHERE status = 'pending' ORDER BY created_at, rowid LIMIT ?", (limit,)
                )
            ]
            if not ids:
                return []
            marks = ",".join("?" * len(ids))
            conn.execute(
                "UPDATE jobs SET status = 'running', attempts = attempts + 1, worker_id = ?, lease_expires_at = ?,"
                f" updated_at = ? WHERE id IN ({marks})",
                (worker_id, now + lease_seconds, stamp, *ids),
            )
            rows = conn.execute(f"SELECT * FROM jobs WHERE id IN ({marks}) ORDER BY created_at, rowid", ids)
            return [_job(r) for r in rows]

        return await self._run(self._transaction, claim)

    async def heartbeat(self, worker_id: str, job_ids: list[str], lease_seconds: float) -> list[str]:
        if not job_ids:
            return []

        def beat(conn: sqlite3.Connection) -> list[str]:
            marks = ",".join("?" * len(job_ids))
            where = f"worker_id = ? AND status = 'running' AND id IN ({marks})"
            conn.execute(
                f"UPDATE jobs SET lease_expires_at = ? WHERE {where}",
                (time.time() + lease_seconds, worker_id, *job_ids),
            )
            return [r["id"] for r in conn.execute(f"SELECT id FROM jobs WHERE {where}", (worker_id, *job_ids))]

        return await self._run(self._transaction, beat)

    async def complete_job(self, worker_id: str, job_id: str, result: Result) -> bool:
        def complete(conn: sqlite3.Connection) -> bool:
            updated = conn.execute(
                "UPDATE jobs SET status = 'done', error = NULL, worker_id = NULL, lease_expires_at = NULL,"
                " updated_at = ? WHERE id = ? AND status = 'running' AND worker_id = ?",
                (utcnow().isoformat(), job_id, worker_id),
            ).rowcount
            if updated != 1:
                return False
            x, y = result.landscape if result.landscape else (None, None)
            conn.execute(
                "INSERT OR REPLACE INTO results (image_id, project_id, job_id, model_version, default_label_set,"
                " labels, probabilities, neighbours, landscape_x, landscape_y, created_at, embedding, unusable)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    result.image_id,
                    result.project_id,
                    result.job_id,
                    result.model_version,
                    result.default_label_set,
                    json.dumps(result.labels),
                    json.dumps(result.probabilities),
                    json.dumps([[n.reference_id, n.label, n.distance] for n in result.neighbours]),
                    x,
                    y,
                    result.created_at.isoformat(),
                    result.embedding,
                    result.unusable,
                ),
            )
            return True

        return await self._run(self._transaction, complete)

    async def fail_job(self, worker_id: str, job_id: str, error: str, retry: bool, max_attempts: int) -> str | None:
        def fail(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                "SELECT attempts FROM jobs WHERE id = ? AND status = 'running' AND worker_id = ?", (job_id, worker_id)
            ).fetchone()
            if row is None:
                return None
            status = "pending" if retry and row["attempts"] < max_attempts else "failed"
            conn.execute(
                "UPDATE jobs SET status = ?, error = ?, worker_id = NULL, lease_expires_at = NULL, updated_at = ?"
                " WHERE id = ?",
                (status, error, utcnow().isoformat(), job_id),
            )
            return status

        status = await self._run(self._transaction, fail)
        if status == "pending":
            self._wake()
        return status

    async def wait_for_jobs(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if self._wakeup_stamp() != self._seen_wakeup:
                    return
                await asyncio.sleep(min(WAKE_CHECK_SECONDS, max(0.0, deadline - time.monotonic())))
        finally:
            # Each wake-up is reported once, also to a worker that did not claim in between (no model yet).
            self._seen_wakeup = self._wakeup_stamp()

    async def job_counts(self) -> dict[str, int]:
        rows = await self._run(
            lambda: self.conn.execute("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status").fetchall()
        )
        return {r["status"]: int(r["n"]) for r in rows}

    async def requeue_project(self, project_id: str) -> int:
        def requeue(conn: sqlite3.Connection) -> int:
            return conn.execute(
                "UPDATE jobs SET status = 'pending', attempts = 0, error = NULL, worker_id = NULL,"
                " lease_expires_at = NULL, updated_at = ? WHERE project_id = ? AND status IN ('done', 'failed')",
                (utcnow().isoformat(), project_id),
            ).rowcount

        count = await self._run(self._transaction, requeue)
        if count:
            self._wake()
        return count

    # --- results -----------------------------------------------------------------------
    async def get_result(self, image_id: str) -> Result | None:
        row = await self._run(
            lambda: self.conn.execute("SELECT * FROM results WHERE image_id = ?", (image_id,)).fetchone()
        )
        return _result(row) if row else None

    async def confirm_usable(self, image_id: str, user_id: str) -> bool:
        def confirm(conn: sqlite3.Connection) -> bool:
            row = conn.execute("SELECT project_id FROM images WHERE id = ?", (image_id,)).fetchone()
            if row is None:
                return False
            conn.execute(
                "INSERT OR REPLACE INTO usable_confirmations (image_id, project_id, user_id, confirmed_at)"
                " VALUES (?, ?, ?, ?)",
                (image_id, row["project_id"], user_id, utcnow().isoformat()),
            )
            return True

        return await self._run(self._transaction, confirm)

    async def list_usable_confirmations(self, project_id: str) -> dict[str, str]:
        rows = await self._run(
            lambda: self.conn.execute(
                "SELECT image_id, user_id FROM usable_confirmations WHERE project_id = ?", (project_id,)
            ).fetchall()
        )
        return {r["image_id"]: r["user_id"] for r in rows}

    # --- model versions ----------------------------------------------------------------
    async def register_model_version(self, model: ModelVersion) -> ModelVersion:
        def upsert(conn: sqlite3.Connection) -> ModelVersion:
            conn.execute(
                "INSERT INTO model_versions (version, path, checksum, default_label_set, label_sets, metrics, created,"
                " reference_count, active, registered_at, registered_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)"
                " ON CONFLICT(version) DO UPDATE SET"
                " path = excluded.path, checksum = excluded.checksum, default_label_set = excluded.default_label_set,"
                " label_sets = excluded.label_sets, metrics = excluded.metrics, created = excluded.created,"
                " reference_count = excluded.reference_count,"
                " registered_by = COALESCE(NULLIF(excluded.registered_by, ''), registered_by)",
                (
                    model.version,
                    model.path,
                    model.checksum,
                    model.default_label_set,
                    json.dumps(model.label_sets),
                    json.dumps(model.metrics),
                    model.created,
                    model.reference_count,
                    model.registered_at.isoformat(),
                    model.registered_by,
                ),
            )
            row = conn.execute("SELECT * FROM model_versions WHERE version = ?", (model.version,)).fetchone()
            return _model(row)

        return await self._run(self._transaction, upsert)

    async def list_model_versions(self) -> list[ModelVersion]:
        rows = await self._run(
            lambda: self.conn.execute("SELECT * FROM model_versions ORDER BY registered_at, rowid").fetchall()
        )
        return [_model(r) for r in rows]

    async def get_model_version(self, version: str) -> ModelVersion | None:
        row = await self._run(
            lambda: self.conn.execute("SELECT * FROM model_versions WHERE version = ?", (version,)).fetchone()
        )
        return _model(row) if row else None

    async def activate_model_version(self, version: str) -> bool:
        def activate(conn: sqlite3.Connection) -> bool:
            if conn.execute("SELECT 1 FROM model_versions WHERE version = ?", (version,)).fetchone() is None:
                return False
            conn.execute(
                "UPDATE model_versions SET active = (version = ?),"
                " activated_at = CASE WHEN version = ? THEN ? ELSE activated_at END",
                (version, version, utcnow().isoformat()),
            )
            return True

        activated = await self._run(self._transaction, activate)
        if activated:
            self._wake()
        return activated

    async def active_model_version(self) -> ModelVersion | None:
        row = await self._run(lambda: self.conn.execute("SELECT * FROM model_versions WHERE active = 1").fetchone())
        return _model(row) if row else None

    # --- label sets, labels, audit trail -----------------------------------------------
    def _insert_label_set(self, conn: sqlite3.Connection, ls: LabelSet) -> None:
        conn.execute(
            "INSERT INTO label_sets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                ls.name,
                json.dumps(ls.classes),
                ls.kind,
                ls.description,
                ls.created_by,
                ls.labels_version,
                ls.fitted_labels_version,
                ls.fitted_model_version,
                ls.status,
                ls.message,
                ls.created_at.isoformat(),
            ),
        )

    def _label_set(self, conn: sqlite3.Connection, name: str) -> LabelSet | None:
        row = conn.execute("SELECT * FROM label_sets WHERE name = ?", (name,)).fetchone()
        return _label_set(row) if row else None

    async def create_label_set(self, label_set: LabelSet) -> LabelSet:
        def insert(conn: sqlite3.Connection) -> LabelSet:
            try:
                self._insert_label_set(conn, label_set)
            except sqlite3.IntegrityError:
                raise ConflictError(
                    f"A label set named {label_set.name!r} already exists; choose another name."
                ) from None
            return label_set

        return await self._run(self._transaction, insert)

    async def ensure_label_set(self, label_set: LabelSet) -> LabelSet:
        def ensure(conn: sqlite3.Connection) -> LabelSet:
            existing = self._label_set(conn, label_set.name)
            if existing is not None:
                return existing
            self._insert_label_set(conn, label_set)
            return label_set

        return await self._run(self._transaction, ensure)

    async def get_label_set(self, name: str) -> LabelSet | None:
        return await self._run(self._label_set, self.conn, name)

    async def list_label_sets(self) -> list[LabelSet]:
        rows = await self._run(
            lambda: self.conn.execute("SELECT * FROM label_sets ORDER BY created_at, name").fetchall()
        )
        return [_label_set(r) for r in rows]

    async def update_label_set_classes(self, name: str, classes: list[str]) -> LabelSet | None:
        def update(conn: sqlite3.Connection) -> LabelSet | None:
            conn.execute("UPDATE label_sets SET classes = ? WHERE name = ?", (json.dumps(classes), name))
            return self._label_set(conn, name)

        return await self._run(self._transaction, update)

    async def record_fit(
        self, name: str, labels_version: int, model_version: str, status: str, message: str | None
    ) -> None:
        await self._run(
            self._transaction,
            lambda conn: conn.execute(
                "UPDATE label_sets SET fitted_labels_version = ?, fitted_model_version = ?, status = ?, message = ?"
                " WHERE name = ? AND (fitted_labels_version <= ? OR fitted_model_version IS NOT ?)",
                (labels_version, model_version, status, message, name, labels_version, model_version),
            ),
        )

    async def set_labels(self, events: list[LabelEvent]) -> list[LabelEvent]:
        def apply(conn: sqlite3.Connection) -> list[LabelEvent]:
            for event in events:
                row = conn.execute(
                    "SELECT label FROM labels WHERE image_id = ? AND label_set = ?", (event.image_id, event.label_set)
                ).fetchone()
                event.previous_label = row["label"] if row else None
                self._apply_label(conn, event)
            for name in {e.label_set for e in events}:
                conn.execute("UPDATE label_sets SET labels_version = labels_version + 1 WHERE name = ?", (name,))
            return events

        applied = await self._run(self._transaction, apply)
        if applied:
            self._wake()
        return applied

    @staticmethod
    def _apply_label(conn: sqlite3.Connection, event: LabelEvent) -> None:
        conn.execute(
            "INSERT INTO label_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                event.id,
                event.image_id,
                event.project_id,
                event.label_set,
                event.label,
                event.previous_label,
                event.source,
                event.user_id,
                event.action,
                event.undoes,
                event.undone_by,
                event.created_at.isoformat(),
            ),
        )
        if event.label is None:
            conn.execute("DELETE FROM labels WHERE image_id = ? AND label_set = ?", (event.image_id, event.label_set))
            return
        conn.execute(
            "INSERT OR REPLACE INTO labels VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                event.image_id,
                event.label_set,
                event.project_id,
                event.label,
                event.source,
                event.user_id,
                event.id,
                event.created_at.isoformat(),
            ),
        )

    async def undo_label_event(self, event_id: str, user_id: str) -> LabelEvent:
        def undo(conn: sqlite3.Connection) -> LabelEvent:
            row = conn.execute("SELECT * FROM label_events WHERE id = ?", (event_id,)).fetchone()
            if row is None:
                raise LookupError(f"There is no label change {event_id}.")
            original = _label_event(row)
            latest = conn.execute(
                "SELECT id FROM label_events WHERE image_id = ? AND label_set = ? AND action != 'undo'"
                " AND undone_by IS NULL ORDER BY created_at DESC, rowid DESC LIMIT 1",
                (original.image_id, original.label_set),
            ).fetchone()
            check_undoable(original, latest["id"] if latest else "")
            undo_event = undo_of(original, user_id)
            self._apply_label(conn, undo_event)
            conn.execute("UPDATE label_events SET undone_by = ? WHERE id = ?", (undo_event.id, original.id))
            conn.execute(
                "UPDATE label_sets SET labels_version = labels_version + 1 WHERE name = ?", (original.label_set,)
            )
            return undo_event

        undone = await self._run(self._transaction, undo)
        self._wake()
        return undone

    async def get_label_event(self, event_id: str) -> LabelEvent | None:
        row = await self._run(
            lambda: self.conn.execute("SELECT * FROM label_events WHERE id = ?", (event_id,)).fetchone()
        )
        return _label_event(row) if row else None

    async def list_labels(self, label_set: str, project_id: str | None = None) -> list[CellLabel]:
        where, args = "WHERE label_set = ?", [label_set]
        if project_id is not None:
            where, args = where + " AND project_id = ?", [label_set, project_id]
        rows = await self._run(
            lambda: self.conn.execute(f"SELECT * FROM labels {where} ORDER BY updated_at, rowid", args).fetchall()
        )
        return [_cell_label(r) for r in rows]

    async def list_label_events(self, label_set: str | None = None, image_id: str | None = None) -> list[LabelEvent]:
        clauses, args = [], []
        if label_set is not None:
            clauses.append("label_set = ?")
            args.append(label_set)
        if image_id is not None:
            clauses.append("image_id = ?")
            args.append(image_id)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = await self._run(
            lambda: self.conn.execute(
                f"SELECT * FROM label_events {where} ORDER BY created_at, rowid", tuple(args)
            ).fetchall()
        )
        return [_label_event(r) for r in rows]

    # --- classifiers and re-scoring ----------------------------------------------------
    async def add_classifier(self, classifier: ClassifierVersion) -> ClassifierVersion:
        def add(conn: sqlite3.Connection) -> ClassifierVersion:
            row = conn.execute(
                "SELECT COALESCE(MAX(version), 0) AS v FROM classifiers WHERE label_set = ?", (classifier.label_set,)
            ).fetchone()
            classifier.version = int(row["v"]) + 1
            conn.execute(
                "INSERT INTO classifiers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    classifier.label_set,
                    classifier.version,
                    classifier.model_version,
                    classifier.labels_version,
                    json.dumps(classifier.classes),
                    classifier.arrays,
                    classifier.support_size,
                    json.dumps(classifier.metrics),
                    classifier.created_at.isoformat(),
                ),
            )
            return classifier

        return await self._run(self._transaction, add)

    async def latest_classifiers(self, model_version: str) -> dict[str, ClassifierVersion]:
        rows = await self._run(
            lambda: self.conn.execute(
                "SELECT * FROM classifiers WHERE model_version = ? AND version = (SELECT MAX(version) FROM classifiers"
                " AS c WHERE c.label_set = classifiers.label_set AND c.model_version = classifiers.model_version)",
                (model_version,),
            ).fetchall()
        )
        return {r["label_set"]: _classifier(r) for r in rows}

    async def list_classifier_versions(self, label_set: str) -> list[ClassifierVersion]:
        rows = await self._run(
            lambda: self.conn.execute(
                "SELECT label_set, version, model_version, labels_version, classes, X'' AS arrays, support_size,"
                " metrics, created_at FROM classifiers WHERE label_set = ? ORDER BY version",
                (label_set,),
            ).fetchall()
        )
        return [_classifier(r) for r in rows]

    async def list_result_vectors(self, model_version: str) -> list[ResultVector]:
        rows = await self._run(
            lambda: self.conn.execute(
                "SELECT image_id, project_id, embedding, labels FROM results"
                " WHERE model_version = ? AND embedding IS NOT NULL ORDER BY rowid",
                (model_version,),
            ).fetchall()
        )
        return [ResultVector(r["image_id"], r["project_id"], r["embedding"], json.loads(r["labels"])) for r in rows]

    async def update_predictions(
        self, label_set: str, model_version: str, probabilities: dict[str, dict[str, float]]
    ) -> int:
        # json_set edits the one label set in place: no row is read back and parsed in Python.
        path = "$." + json.dumps(label_set)
        updates = [
            (json.dumps(max(probs, key=probs.__getitem__)), json.dumps(probs), image_id, model_version)
            for image_id, probs in probabilities.items()
        ]

        def update(conn: sqlite3.Connection) -> int:
            before = conn.total_changes
            conn.executemany(
                "UPDATE results SET labels = json_set(labels, ?, json(?)),"
                " probabilities = json_set(probabilities, ?, json(?)) WHERE image_id = ? AND model_version = ?",
                [(path, label, path, probs, image_id, model) for label, probs, image_id, model in updates],
            )
            return conn.total_changes - before

        return await self._run(self._transaction, update)


# --- row mapping ---------------------------------------------------------------------------
def _user(row: sqlite3.Row) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        password_hash=row["password_hash"],
        role=row["role"],
        created_at=datetime.fromisoformat(row["created_at"]),
    )


def _image(row: sqlite3.Row) -> Image:
    return Image(
        id=row["id"],
        project_id=row["project_id"],
        filename=row["filename"],
        sha256=row["sha256"],
        size=row["size"],
        format=row["format"],
        width=row["width"],
        height=row["height"],
        uploaded_by=row["uploaded_by"],
        uploaded_at=datetime.fromisoformat(row["uploaded_at"]),
    )


def _job(row: sqlite3.Row) -> Job:
    return Job(
        id=row["id"],
        image_id=row["image_id"],
        project_id=row["project_id"],
        status=row["status"],
        attempts=row["attempts"],
        error=row["error"],
        worker_id=row["worker_id"],
        lease_expires_at=row["lease_expires_at"],
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )


def _result(row: sqlite3.Row) -> Result:
    x, y = row["landscape_x"], row["landscape_y"]
    landscape = (float(x), float(y)) if x is not None and y is not None and math.isfinite(x + y) else None
    return Result(
        image_id=row["image_id"],
        project_id=row["project_id"],
        job_id=row["job_id"],
        model_version=row["model_version"],
        default_label_set=row["default_label_set"],
        labels=json.loads(row["labels"]),
        probabilities=json.loads(row["probabilities"]),
        neighbours=[NeighbourRecord(r, label, float(d)) for r, label, d in json.loads(row["neighbours"])],
        landscape=landscape,
        created_at=datetime.fromisoformat(row["created_at"]),
        embedding=row["embedding"],
        unusable=row["unusable"],
    )


def _model(row: sqlite3.Row) -> ModelVersion:
    return ModelVersion(
        version=row["version"],
        path=row["path"],
        checksum=row["checksum"],
        default_label_set=row["default_label_set"],
        label_sets=json.loads(row["label_sets"]),
        metrics=json.loads(row["metrics"]),
        created=row["created"],
        reference_count=row["reference_count"],
        active=bool(row["active"]),
        registered_at=datetime.fromisoformat(row["registered_at"]),
        registered_by=row["registered_by"],
        activated_at=datetime.fromisoformat(row["activated_at"]) if row["activated_at"] else None,
    )


def _label_set(row: sqlite3.Row) -> LabelSet:
    return LabelSet(
        name=row["name"],
        classes=json.loads(row["classes"]),
        kind=row["kind"],
        description=row["description"],
        created_by=row["created_by"],
        labels_version=row["labels_version"],
        fitted_labels_version=row["fitted_labels_version"],
        fitted_model_version=row["fitted_model_version"],
        status=row["status"],
        message=row["message"],
        created_at=datetime.fromisoformat(row["created_at"]),
    )


def _cell_label(row: sqlite3.Row) -> CellLabel:
    return CellLabel(
        image_id=row["image_id"],
        project_id=row["project_id"],
        label_set=row["label_set"],
        label=row["label"],
        source=row["source"],
        user_id=row["user_id"],
        event_id=row["event_id"],
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )


def _label_event(row: sqlite3.Row) -> LabelEvent:
    return LabelEvent(
        id=row["id"],
        image_id=row["image_id"],
        project_id=row["project_id"],
        label_set=row["label_set"],
        label=row["label"],
        previous_label=row["previous_label"],
        source=row["source"],
        user_id=row["user_id"],
        action=row["action"],
        undoes=row["undoes"],
        undone_by=row["undone_by"],
        created_at=datetime.fromisoformat(row["created_at"]),
    )


def _classifier(row: sqlite3.Row) -> ClassifierVersion:
    return ClassifierVersion(
        label_set=row["label_set"],
        version=row["version"],
        model_version=row["model_version"],
        labels_version=row["labels_version"],
        classes=json.loads(row["classes"]),
        arrays=bytes(row["arrays"]),
        support_size=row["support_size"],
        metrics=json.loads(row["metrics"]),
        created_at=datetime.fromisoformat(row["created_at"]),
    )
