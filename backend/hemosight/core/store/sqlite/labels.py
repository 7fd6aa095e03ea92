"""Label sets, the lab's labels with their audit trail, classifiers refitted by the workers, and re-scoring."""

from __future__ import annotations

import json
import sqlite3

from hemosight.core.store.base import (
    CellLabel,
    ClassifierVersion,
    ConflictError,
    LabelEvent,
    LabelSet,
    ResultVector,
    check_undoable,
    current_label,
    undo_of,
)
from hemosight.core.store.sqlite.codec import CLASSIFIERS, LABEL_EVENTS, LABEL_SETS, LABELS
from hemosight.core.store.sqlite.connection import SQLiteConnection


class LabelsMixin(SQLiteConnection):
    # --- label sets, labels, audit trail -----------------------------------------------
    def _insert_label_set(self, conn: sqlite3.Connection, ls: LabelSet) -> None:
        LABEL_SETS.insert(conn, ls)

    def _label_set(self, conn: sqlite3.Connection, name: str) -> LabelSet | None:
        row = conn.execute("SELECT * FROM label_sets WHERE name = ?", (name,)).fetchone()
        return LABEL_SETS.record(row) if row else None

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
        return [LABEL_SETS.record(r) for r in rows]

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
        LABEL_EVENTS.insert(conn, event)
        if event.label is None:
            conn.execute("DELETE FROM labels WHERE image_id = ? AND label_set = ?", (event.image_id, event.label_set))
            return
        label = current_label(event, event.label)
        LABELS.insert(conn, label, "INSERT OR REPLACE")

    async def undo_label_event(self, event_id: str, user_id: str, reason: str | None = None) -> LabelEvent:
        def undo(conn: sqlite3.Connection) -> LabelEvent:
            row = conn.execute("SELECT * FROM label_events WHERE id = ?", (event_id,)).fetchone()
            if row is None:
                raise LookupError(f"There is no label change {event_id}.")
            original = LABEL_EVENTS.record(row)
            latest = conn.execute(
                "SELECT id FROM label_events WHERE image_id = ? AND label_set = ? AND action != 'undo'"
                " AND undone_by IS NULL ORDER BY created_at DESC, rowid DESC LIMIT 1",
                (original.image_id, original.label_set),
            ).fetchone()
            check_undoable(original, latest["id"] if latest else "")
            undo_event = undo_of(original, user_id, reason)
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
        return LABEL_EVENTS.record(row) if row else None

    async def list_labels(self, label_set: str, project_id: str | None = None) -> list[CellLabel]:
        where, args = "WHERE label_set = ?", [label_set]
        if project_id is not None:
            where, args = where + " AND project_id = ?", [label_set, project_id]
        rows = await self._run(
            lambda: self.conn.execute(f"SELECT * FROM labels {where} ORDER BY updated_at, rowid", args).fetchall()
        )
        return [LABELS.record(r) for r in rows]

    async def list_label_events(
        self, label_set: str | None = None, image_id: str | None = None, project_id: str | None = None
    ) -> list[LabelEvent]:
        clauses, args = [], []
        if project_id is not None:
            clauses.append("project_id = ?")
            args.append(project_id)
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
        return [LABEL_EVENTS.record(r) for r in rows]

    # --- classifiers and re-scoring ----------------------------------------------------
    async def add_classifier(self, classifier: ClassifierVersion) -> ClassifierVersion:
        def add(conn: sqlite3.Connection) -> ClassifierVersion:
            row = conn.execute(
                "SELECT COALESCE(MAX(version), 0) AS v FROM classifiers WHERE label_set = ?", (classifier.label_set,)
            ).fetchone()
            classifier.version = int(row["v"]) + 1
            CLASSIFIERS.insert(conn, classifier)
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
        return {r["label_set"]: CLASSIFIERS.record(r) for r in rows}

    async def list_classifier_versions(self, label_set: str) -> list[ClassifierVersion]:
        rows = await self._run(
            lambda: self.conn.execute(
                "SELECT label_set, version, model_version, labels_version, classes, X'' AS arrays, support_size,"
                " metrics, created_at FROM classifiers WHERE label_set = ? ORDER BY version",
                (label_set,),
            ).fetchall()
        )
        return [CLASSIFIERS.record(r) for r in rows]

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
