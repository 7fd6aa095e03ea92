"""Records ↔ MongoDB documents: a record's `id` is the document's `_id`; nested values are stored as they are."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from hemosight.core.store.base import ClassifierVersion, LabelSet, ModelVersion, NeighbourRecord, Result


def to_doc(record: Any) -> dict[str, Any]:
    values = asdict(record)
    values["_id"] = values.pop("id")
    return values


def from_doc(cls: type, doc: dict[str, Any]) -> Any:
    values = dict(doc)
    values["id"] = values.pop("_id")
    return cls(**values)


def result_from_doc(doc: dict[str, Any]) -> Result:
    values = dict(doc)
    values["image_id"] = values.pop("_id")
    values["neighbours"] = [NeighbourRecord(**n) for n in values["neighbours"]]
    values["landscape"] = tuple(values["landscape"]) if values.get("landscape") else None
    if values.get("embedding") is not None:
        values["embedding"] = bytes(values["embedding"])
    return Result(**values)


def label_set_to_doc(label_set: LabelSet) -> dict[str, Any]:
    values = asdict(label_set)
    values["_id"] = values.pop("name")
    return values


def label_set_from_doc(doc: dict[str, Any]) -> LabelSet:
    values = dict(doc)
    values["name"] = values.pop("_id")
    return LabelSet(**values)


def classifier_from_doc(doc: dict[str, Any]) -> ClassifierVersion:
    values = {k: v for k, v in doc.items() if k != "_id"}
    values["arrays"] = bytes(values["arrays"])
    return ClassifierVersion(**values)


def model_from_doc(doc: dict[str, Any]) -> ModelVersion:
    values = dict(doc)
    values["version"] = values.pop("_id")
    return ModelVersion(**values)
