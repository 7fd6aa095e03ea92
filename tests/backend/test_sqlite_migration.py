"""An embedded database written by schema version 1 is migrated to the current version when opened, keeping its data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hemosight.core.store.base import SCHEMA_VERSION, LabelSet
from hemosight.core.store.sqlite import SQLiteStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


#: The embedded schema as released at version 1 (frozen: migrations start from exactly this).
VERSION_1_SCHEMA = """
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


async def test_version_1_database_is_migrated_and_keeps_its_results(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "hemosight.sqlite3")
    conn.executescript(VERSION_1_SCHEMA)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    conn.execute("INSERT INTO projects VALUES ('p1', 'Slide', 'u1', '2026-01-01T00:00:00+00:00')")
    conn.execute(
        "INSERT INTO images VALUES ('i1', 'p1', 'a.jpg', 'abc', 1, 'JPEG', 2, 2, 'u1', '2026-01-01T00:00:00+00:00')"
    )
    conn.execute(
        "INSERT INTO results VALUES ('i1', 'p1', 'j1', 'm1', 'cell_type', '{\"cell_type\": \"neutrophil\"}',"
        " '{\"cell_type\": {\"neutrophil\": 1.0}}', '[]', NULL, NULL, '2026-01-01T00:00:00+00:00')"
    )
    conn.commit()
    conn.close()

    store = SQLiteStore(tmp_path)
    await store.open()
    try:
        assert await store.schema_version() == SCHEMA_VERSION >= 2
        result = await store.get_result("i1")
        assert result is not None and result.label == "neutrophil" and result.embedding is None
        assert result.unusable is None  # schema 3: results older than the usable-cell check count as usable
        assert await store.confirm_usable("i1", "u1")
        assert await store.list_usable_confirmations("p1") == {"i1": "u1"}
        assert await store.list_result_vectors("m1") == []
        await store.create_label_set(LabelSet(name="reactive", classes=["reactive", "normal"]))
        assert [s.name for s in await store.list_label_sets()] == ["reactive"]
        project = await store.get_project("p1")  # schema 4: a case older than sign-off is in review, no details
        assert project is not None and project.status == "in_review" and project.wbc_count is None
        assert project.specimen_id == "" and await store.list_case_events("p1") == []
        project.wbc_count = 6.1
        await store.update_project(project)
        assert (await store.get_project("p1")).wbc_count == 6.1  # type: ignore[union-attr]
        assert await store.get_explanation("i1") is None
        assert await store.set_case_status("p1", "signed_off", "u1", None, expected="in_review")
    finally:
        await store.close()
