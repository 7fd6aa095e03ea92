"""Registered model versions, which one is active, and the model bundle files the embedded store keeps."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from hemosight.core.store.base import GRIDFS_SCHEME, BundleFileError, ModelVersion, utcnow
from hemosight.core.store.files import copy_atomically
from hemosight.core.store.sqlite.codec import MODEL_VERSIONS
from hemosight.core.store.sqlite.connection import SQLiteConnection


class ModelsMixin(SQLiteConnection):
    # --- model versions ----------------------------------------------------------------
    async def register_model_version(self, model: ModelVersion) -> ModelVersion:
        def upsert(conn: sqlite3.Connection) -> ModelVersion:
            row = MODEL_VERSIONS.values(model)
            row["active"] = 0
            conn.execute(
                f"INSERT INTO model_versions ({', '.join(row)}) VALUES ({', '.join(':' + c for c in row)})"
                " ON CONFLICT(version) DO UPDATE SET"
                " path = excluded.path, checksum = excluded.checksum, default_label_set = excluded.default_label_set,"
                " label_sets = excluded.label_sets, metrics = excluded.metrics, created = excluded.created,"
                " reference_count = excluded.reference_count,"
                " registered_by = COALESCE(NULLIF(excluded.registered_by, ''), registered_by)",
                row,
            )
            stored = conn.execute("SELECT * FROM model_versions WHERE version = ?", (model.version,)).fetchone()
            return MODEL_VERSIONS.record(stored)

        return await self._run(self._transaction, upsert)

    async def list_model_versions(self) -> list[ModelVersion]:
        rows = await self._run(
            lambda: self.conn.execute("SELECT * FROM model_versions ORDER BY registered_at, rowid").fetchall()
        )
        return [MODEL_VERSIONS.record(r) for r in rows]

    async def get_model_version(self, version: str) -> ModelVersion | None:
        row = await self._run(
            lambda: self.conn.execute("SELECT * FROM model_versions WHERE version = ?", (version,)).fetchone()
        )
        return MODEL_VERSIONS.record(row) if row else None

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
        return MODEL_VERSIONS.record(row) if row else None

    async def save_model_file(self, source: Path, checksum: str) -> str:
        target = self.data_dir / "models" / f"{checksum}.hsb"
        await asyncio.to_thread(copy_atomically, Path(source), target)
        return str(target)

    async def model_file(self, model: ModelVersion, cache_dir: Path) -> Path:
        if model.path.startswith(GRIDFS_SCHEME):
            raise BundleFileError(f"Model {model.version} is kept in MongoDB, but this process uses another store.")
        return Path(model.path)
