"""One mapping between the stored records (dataclasses in backend/hemosight/core/store/base.py) and SQLite rows.

The columns are the dataclass fields, and how a value is stored follows from the field's type:
datetimes as ISO 8601 text, dicts and lists as JSON, booleans as 0/1, everything else as is.
Inserts name their columns, so a migration that appends a column cannot shift values, and
adding a field to a record needs only the record, the migration and the API schema.
A field stored differently (a result's neighbours and landscape point) gets a `Custom` entry.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sqlite3
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar, Union, get_args, get_origin, get_type_hints

from hemosight.core.store.base import (
    CaseEvent,
    CellLabel,
    ClassifierVersion,
    Explanation,
    Image,
    Job,
    LabelEvent,
    LabelSet,
    ModelJob,
    ModelVersion,
    NeighbourRecord,
    Project,
    Result,
    User,
)

R = TypeVar("R")


@dataclass(frozen=True)
class Custom:
    """A field kept in its own way: `encode` gives its columns, `decode` reads it back from the row."""

    columns: tuple[str, ...]
    encode: Callable[[Any], dict[str, Any]]
    decode: Callable[[sqlite3.Row], Any]


def _kind(tp: Any) -> str:
    if get_origin(tp) in (Union, types.UnionType):
        tp = next(arg for arg in get_args(tp) if arg is not type(None))
    if tp is datetime:
        return "datetime"
    if tp is bool:
        return "bool"
    if tp is bytes:
        return "bytes"
    if tp in (dict, list) or get_origin(tp) in (dict, list):
        return "json"
    return "plain"


def _encode(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return value.isoformat()
    if kind == "json":
        return json.dumps(value)
    if kind == "bool":
        return int(value)
    return value


def _decode(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "json":
        return json.loads(value)
    if kind == "bool":
        return bool(value)
    if kind == "bytes":
        return bytes(value)
    return value


@dataclass
class RowCodec(Generic[R]):
    """Rows of `table` ↔ records of `cls`; `skip` names fields kept elsewhere (e.g. in a link table)."""

    cls: type[R]
    table: str
    skip: frozenset[str] = frozenset()
    custom: Mapping[str, Custom] = field(default_factory=dict)

    def __post_init__(self) -> None:
        hints = get_type_hints(self.cls)
        self._kinds = {
            f.name: _kind(hints[f.name])
            for f in dataclasses.fields(self.cls)  # type: ignore[arg-type]
            if f.name not in self.skip and f.name not in self.custom
        }

    @property
    def columns(self) -> set[str]:
        """The table's columns this codec writes."""
        return set(self._kinds).union(*(custom.columns for custom in self.custom.values()))

    def values(self, record: R) -> dict[str, Any]:
        """Column → stored value, for named-parameter SQL (``:column``)."""
        row = {name: _encode(kind, getattr(record, name)) for name, kind in self._kinds.items()}
        for name, custom in self.custom.items():
            row.update(custom.encode(getattr(record, name)))
        return row

    def record(self, row: sqlite3.Row, **extra: Any) -> R:
        """The record of a ``SELECT *`` row; `extra` fills skipped fields."""
        columns = set(row.keys())
        values = {name: _decode(kind, row[name]) for name, kind in self._kinds.items() if name in columns}
        values.update({name: custom.decode(row) for name, custom in self.custom.items()})
        return self.cls(**values, **extra)

    def insert(self, conn: sqlite3.Connection, record: R, verb: str = "INSERT") -> None:
        """``INSERT`` (or e.g. ``INSERT OR REPLACE``) the record with named columns."""
        row = self.values(record)
        names = ", ".join(row)
        marks = ", ".join(f":{name}" for name in row)
        conn.execute(f"{verb} INTO {self.table} ({names}) VALUES ({marks})", row)


# --- the stored records ---------------------------------------------------------------------
def _landscape_columns(point: tuple[float, float] | None) -> dict[str, Any]:
    x, y = point if point else (None, None)
    return {"landscape_x": x, "landscape_y": y}


def _landscape(row: sqlite3.Row) -> tuple[float, float] | None:
    x, y = row["landscape_x"], row["landscape_y"]
    return (float(x), float(y)) if x is not None and y is not None and math.isfinite(x + y) else None


def _neighbour_column(neighbours: list[NeighbourRecord]) -> dict[str, Any]:
    return {"neighbours": json.dumps([[n.reference_id, n.label, n.distance] for n in neighbours])}


def _neighbours(row: sqlite3.Row) -> list[NeighbourRecord]:
    return [NeighbourRecord(ref, label, float(distance)) for ref, label, distance in json.loads(row["neighbours"])]


USERS = RowCodec(User, "users")
PROJECTS = RowCodec(Project, "projects", skip=frozenset({"member_ids"}))  # members: table project_members
IMAGES = RowCodec(Image, "images")
JOBS = RowCodec(Job, "jobs")
RESULTS = RowCodec(
    Result,
    "results",
    custom={
        "neighbours": Custom(("neighbours",), _neighbour_column, _neighbours),
        "landscape": Custom(("landscape_x", "landscape_y"), _landscape_columns, _landscape),
    },
)
MODEL_VERSIONS = RowCodec(ModelVersion, "model_versions")
MODEL_JOBS = RowCodec(ModelJob, "model_jobs")
LABEL_SETS = RowCodec(LabelSet, "label_sets")
LABELS = RowCodec(CellLabel, "labels")
LABEL_EVENTS = RowCodec(LabelEvent, "label_events")
CLASSIFIERS = RowCodec(ClassifierVersion, "classifiers")
CASE_EVENTS = RowCodec(CaseEvent, "case_events")
EXPLANATIONS = RowCodec(Explanation, "explanations")
