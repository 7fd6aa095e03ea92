"""The embedded store's plumbing: one connection on one private thread, transactions, migrations, wake-ups.

Every aggregate of the store (accounts, projects, jobs, models, labels) is a mixin on top of
this class, so they share one connection and one write lock.

Waking workers: a writer that queues work writes a new random token to ``<data_dir>/wakeup``;
a waiting worker reads that small file every 50 ms (no database access), so it starts on
new jobs at once while the database itself is polled only every few seconds (for leases
that expired).
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from hemosight.core.store.base import SCHEMA_VERSION, StoreError
from hemosight.core.store.blobs import BlobStore
from hemosight.core.store.sqlite.schema import MIGRATIONS, SCHEMA

T = TypeVar("T")


class SQLiteConnection:
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
        self.blobs.sweep_temporary()

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
