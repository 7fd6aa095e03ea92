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
    ConflictError,
    Image,
    ImageEntry,
    Job,
    ModelVersion,
    NeighbourRecord,
    Project,
    Result,
    StoreError,
    User,
    utcnow,
)
from backend.store.blobs import BlobStore, sha256_of

T = TypeVar("T")

SCHEMA = """
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
    landscape_x REAL, landscape_y REAL, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS results_project ON results(project_id);
CREATE TABLE IF NOT EXISTS model_versions (
    version TEXT PRIMARY KEY, path TEXT NOT NULL, checksum TEXT NOT NULL, default_label_set TEXT NOT NULL,
    label_sets TEXT NOT NULL, metrics TEXT NOT NULL, created TEXT NOT NULL, reference_count INTEGER NOT NULL,
    active INTEGER NOT NULL DEFAULT 0, registered_at TEXT NOT NULL);
"""

#: Migrations from version n to n+1, applied in order at open; empty while the schema is at version 1.
MIGRATIONS: dict[int, str] = {}

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
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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

    # --- results -----------------------------------------------------------------------
    async def get_result(self, image_id: str) -> Result | None:
        row = await self._run(
            lambda: self.conn.execute("SELECT * FROM results WHERE image_id = ?", (image_id,)).fetchone()
        )
        return _result(row) if row else None

    # --- model versions ----------------------------------------------------------------
    async def register_model_version(self, model: ModelVersion) -> ModelVersion:
        def upsert(conn: sqlite3.Connection) -> ModelVersion:
            conn.execute(
                "INSERT INTO model_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?) ON CONFLICT(version) DO UPDATE SET"
                " path = excluded.path, checksum = excluded.checksum, default_label_set = excluded.default_label_set,"
                " label_sets = excluded.label_sets, metrics = excluded.metrics, created = excluded.created,"
                " reference_count = excluded.reference_count",
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
            conn.execute("UPDATE model_versions SET active = (version = ?)", (version,))
            return True

        activated = await self._run(self._transaction, activate)
        if activated:
            self._wake()
        return activated

    async def active_model_version(self) -> ModelVersion | None:
        row = await self._run(lambda: self.conn.execute("SELECT * FROM model_versions WHERE active = 1").fetchone())
        return _model(row) if row else None


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
    )
