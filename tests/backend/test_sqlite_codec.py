"""The SQLite row codec: every record field has its column, and records survive a round trip unchanged."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from hemosight.core.store.base import ModelVersion, NeighbourRecord, Result
from hemosight.core.store.sqlite import SCHEMA
from hemosight.core.store.sqlite.codec import (
    CLASSIFIERS,
    IMAGES,
    JOBS,
    LABEL_EVENTS,
    LABEL_SETS,
    LABELS,
    MODEL_VERSIONS,
    PROJECTS,
    RESULTS,
    USERS,
    RowCodec,
)

CODECS = [USERS, PROJECTS, IMAGES, JOBS, RESULTS, MODEL_VERSIONS, LABEL_SETS, LABELS, LABEL_EVENTS, CLASSIFIERS]


@pytest.fixture
def conn() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    conn.executescript(SCHEMA)
    return conn


@pytest.mark.parametrize("codec", CODECS, ids=lambda c: c.table)
def test_the_record_fields_and_the_table_columns_match(conn: sqlite3.Connection, codec: RowCodec) -> None:
    columns = {row["name"] for row in conn.execute(f"PRAGMA table_info({codec.table})")}
    assert codec.columns == columns, f"{codec.cls.__name__} and the table {codec.table} differ"


def test_a_result_and_a_model_version_survive_the_round_trip(conn: sqlite3.Connection) -> None:
    result = Result(
        image_id="i1",
        project_id="p1",
        job_id="j1",
        model_version="m1",
        default_label_set="cell_type",
        labels={"cell_type": "neutrophil"},
        probabilities={"cell_type": {"neutrophil": 0.75}},
        neighbours=[NeighbourRecord("r1", "neutrophil", 0.5)],
        landscape=(1.0, -2.0),
        embedding=b"\x00\x01",
    )
    conn.execute("PRAGMA foreign_keys=OFF")
    RESULTS.insert(conn, result)
    assert RESULTS.record(conn.execute("SELECT * FROM results").fetchone()) == result
    model = ModelVersion(
        version="m1",
        path="/b.hsb",
        checksum="c",
        default_label_set="cell_type",
        label_sets={"cell_type": ["neutrophil"]},
        active=True,
        activated_at=datetime(2026, 1, 2, tzinfo=UTC),
    )
    MODEL_VERSIONS.insert(conn, model)
    assert MODEL_VERSIONS.record(conn.execute("SELECT * FROM model_versions").fetchone()) == model
