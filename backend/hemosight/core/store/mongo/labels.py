"""Label sets, labels with their audit trail, refitted classifiers and re-scoring in MongoDB."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

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
from hemosight.core.store.mongo.codec import (
    classifier_from_doc,
    from_doc,
    label_set_from_doc,
    label_set_to_doc,
    to_doc,
)
from hemosight.core.store.mongo.connection import MongoConnection


class LabelsMixin(MongoConnection):
    # --- label sets, labels, audit trail -----------------------------------------------
    async def create_label_set(self, label_set: LabelSet) -> LabelSet:
        try:
            await self.db.label_sets.insert_one(label_set_to_doc(label_set))
        except DuplicateKeyError:
            raise ConflictError(f"A label set named {label_set.name!r} already exists; choose another name.") from None
        return label_set

    async def ensure_label_set(self, label_set: LabelSet) -> LabelSet:
        values = label_set_to_doc(label_set)
        values.pop("_id")
        await self.db.label_sets.update_one({"_id": label_set.name}, {"$setOnInsert": values}, upsert=True)
        stored = await self.get_label_set(label_set.name)
        assert stored is not None
        return stored

    async def get_label_set(self, name: str) -> LabelSet | None:
        doc = await self.db.label_sets.find_one({"_id": name})
        return label_set_from_doc(doc) if doc else None

    async def list_label_sets(self) -> list[LabelSet]:
        return [
            label_set_from_doc(d) async for d in self.db.label_sets.find().sort([("created_at", ASCENDING), ("_id", 1)])
        ]

    async def update_label_set_classes(self, name: str, classes: list[str]) -> LabelSet | None:
        await self.db.label_sets.update_one({"_id": name}, {"$set": {"classes": classes}})
        return await self.get_label_set(name)

    async def record_fit(
        self, name: str, labels_version: int, model_version: str, status: str, message: str | None
    ) -> None:
        await self.db.label_sets.update_one(
            {
                "_id": name,
                "$or": [
                    {"fitted_labels_version": {"$lte": labels_version}},
                    {"fitted_model_version": {"$ne": model_version}},
                ],
            },
            {
                "$set": {
                    "fitted_labels_version": labels_version,
                    "fitted_model_version": model_version,
                    "status": status,
                    "message": message,
                }
            },
        )

    async def _apply_label(self, event: LabelEvent, session: AsyncClientSession) -> None:
        await self.db.label_events.insert_one(to_doc(event), session=session)
        key = {"_id": f"{event.image_id}/{event.label_set}"}
        if event.label is None:
            await self.db.labels.delete_one(key, session=session)
            return
        label = current_label(event, event.label)
        await self.db.labels.replace_one(key, {**key, **asdict(label)}, upsert=True, session=session)

    async def set_labels(self, events: list[LabelEvent]) -> list[LabelEvent]:
        async def apply(session: AsyncClientSession) -> list[LabelEvent]:
            for event in events:
                current = await self.db.labels.find_one({"_id": f"{event.image_id}/{event.label_set}"}, session=session)
                event.previous_label = current["label"] if current else None
                await self._apply_label(event, session)
            for name in {e.label_set for e in events}:
                await self.db.label_sets.update_one({"_id": name}, {"$inc": {"labels_version": 1}}, session=session)
            return events

        return list(await self._in_transaction(apply)) if events else []

    async def undo_label_event(self, event_id: str, user_id: str, reason: str | None = None) -> LabelEvent:
        async def undo(session: AsyncClientSession) -> LabelEvent:
            doc = await self.db.label_events.find_one({"_id": event_id}, session=session)
            if doc is None:
                raise LookupError(f"There is no label change {event_id}.")
            original = from_doc(LabelEvent, doc)
            latest = await self.db.label_events.find_one(
                {
                    "image_id": original.image_id,
                    "label_set": original.label_set,
                    "action": {"$ne": "undo"},
                    "undone_by": None,
                },
                sort=[("created_at", -1), ("_id", -1)],
                session=session,
            )
            check_undoable(original, latest["_id"] if latest else "")
            undo_event = undo_of(original, user_id, reason)
            await self._apply_label(undo_event, session)
            await self.db.label_events.update_one(
                {"_id": original.id}, {"$set": {"undone_by": undo_event.id}}, session=session
            )
            await self.db.label_sets.update_one(
                {"_id": original.label_set}, {"$inc": {"labels_version": 1}}, session=session
            )
            return undo_event

        return await self._in_transaction(undo)

    async def get_label_event(self, event_id: str) -> LabelEvent | None:
        doc = await self.db.label_events.find_one({"_id": event_id})
        return from_doc(LabelEvent, doc) if doc else None

    async def list_labels(self, label_set: str, project_id: str | None = None) -> list[CellLabel]:
        query: dict[str, Any] = {"label_set": label_set}
        if project_id is not None:
            query["project_id"] = project_id
        return [
            CellLabel(**{k: v for k, v in d.items() if k != "_id"})
            async for d in self.db.labels.find(query).sort([("updated_at", ASCENDING), ("_id", ASCENDING)])
        ]

    async def list_label_events(
        self, label_set: str | None = None, image_id: str | None = None, project_id: str | None = None
    ) -> list[LabelEvent]:
        pairs = (("label_set", label_set), ("image_id", image_id), ("project_id", project_id))
        query = {k: v for k, v in pairs if v is not None}
        return [
            from_doc(LabelEvent, d)
            async for d in self.db.label_events.find(query).sort([("created_at", ASCENDING), ("_id", ASCENDING)])
        ]

    # --- classifiers and re-scoring ----------------------------------------------------
    async def add_classifier(self, classifier: ClassifierVersion) -> ClassifierVersion:
        while True:
            latest = await self.db.classifiers.find_one({"label_set": classifier.label_set}, sort=[("version", -1)])
            classifier.version = (latest["version"] if latest else 0) + 1
            try:
                await self.db.classifiers.insert_one(asdict(classifier))
            except DuplicateKeyError:  # another worker numbered one at the same moment
                continue
            return classifier

    async def latest_classifiers(self, model_version: str) -> dict[str, ClassifierVersion]:
        latest: dict[str, ClassifierVersion] = {}
        async for doc in self.db.classifiers.find({"model_version": model_version}).sort("version", ASCENDING):
            latest[doc["label_set"]] = classifier_from_doc(doc)
        return latest

    async def list_classifier_versions(self, label_set: str) -> list[ClassifierVersion]:
        cursor = self.db.classifiers.find({"label_set": label_set}, {"arrays": 0}).sort("version", ASCENDING)
        return [classifier_from_doc({**d, "arrays": b""}) async for d in cursor]

    async def list_result_vectors(self, model_version: str) -> list[ResultVector]:
        cursor = self.db.results.find(
            {"model_version": model_version, "embedding": {"$ne": None}},
            {"project_id": 1, "embedding": 1, "labels": 1},
        )
        return [ResultVector(d["_id"], d["project_id"], bytes(d["embedding"]), d["labels"]) async for d in cursor]

    async def update_predictions(
        self, label_set: str, model_version: str, probabilities: dict[str, dict[str, float]]
    ) -> int:
        from pymongo import UpdateOne

        operations = [
            UpdateOne(
                {"_id": image_id, "model_version": model_version},
                {
                    "$set": {
                        f"labels.{label_set}": max(probs, key=probs.__getitem__),
                        f"probabilities.{label_set}": probs,
                    }
                },
            )
            for image_id, probs in probabilities.items()
        ]
        if not operations:
            return 0
        outcome = await self.db.results.bulk_write(operations, ordered=False)
        return int(outcome.matched_count)
