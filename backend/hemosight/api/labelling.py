"""Label sets as the API sees them: the active model's label sets plus those the lab defined.

A model label set (cell type, the WBCAtt attributes) gets a stored record the first time a
cell is labelled in it, so its labels have a version the workers can follow; until then
it is described from the active model alone.
"""

from __future__ import annotations

import csv
import io

from fastapi import HTTPException, status

from hemosight.api.csv_cells import SafeCsvWriter
from hemosight.api.schemas import CellLabelPublic, LabelEventPublic, LabelSetPublic
from hemosight.core.label_rules import MIN_LABELS_PER_CLASS, needs_labels_message
from hemosight.core.store.base import CellLabel, ClassifierVersion, LabelEvent, LabelSet, ModelVersion, Store

IMPORT_COLUMNS = ("image_id", "label")
EXPORT_COLUMNS = (
    "change_id",
    "created_at",
    "label_set",
    "image_id",
    "project_id",
    "filename",
    "label",
    "previous_label",
    "action",
    "source",
    "username",
    "undoes",
    "undone_by",
)


def model_label_set(name: str, model: ModelVersion) -> LabelSet:
    return LabelSet(name=name, classes=list(model.label_sets[name]), kind="model", status="model")


async def available_label_sets(store: Store) -> tuple[dict[str, LabelSet], ModelVersion | None]:
    """Every label set by name (stored records win over the active model's description), and the active model."""
    model = await store.active_model_version()
    sets = {name: model_label_set(name, model) for name in model.label_sets} if model else {}
    for stored in await store.list_label_sets():
        sets[stored.name] = stored
    return sets, model


async def resolve_label_set(store: Store, name: str) -> tuple[LabelSet, ModelVersion | None]:
    sets, model = await available_label_sets(store)
    if name not in sets:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"There is no label set {name!r}; available: {', '.join(sorted(sets)) or 'none (no model is active)'}.",
        )
    return sets[name], model


async def stored_label_set(store: Store, name: str) -> LabelSet:
    """The label set's stored record, created from the active model's description when missing."""
    label_set, _ = await resolve_label_set(store, name)
    return await store.ensure_label_set(label_set)


def check_class(label_set: LabelSet, label: str) -> None:
    if label not in label_set.classes:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"{label!r} is not a class of label set {label_set.name!r}; its classes are "
            f"{', '.join(label_set.classes)}. An administrator or pathologist can add a class "
            f"with PATCH /label-sets/{label_set.name}.",
        )


async def label_set_public(
    store: Store, label_set: LabelSet, model: ModelVersion | None, visible: set[str] | None = None
) -> LabelSetPublic:
    """`visible`: the projects the caller may see (None: all, for administrators).

    Status and the classes still short of labels describe the shared classifier, which rests on every lab
    label. Every number (lab labels, class counts, support size, the 'needs labels' message) and the changed
    cells count only the labels and cells in `visible`: a user learns nothing of projects they cannot see.
    """
    versions = await store.list_classifier_versions(label_set.name) if label_set.labels_version else []
    current = [v for v in versions if model is not None and v.model_version == model.version]
    latest = current[-1] if current else None
    model_version = model.version if model else None
    lab_labels = await store.list_labels(label_set.name) if label_set.labels_version else []
    status, message = label_set.status, label_set.message
    counts: dict[str, int] | None = dict(latest.metrics.get("class_counts", {})) if latest else None
    needing: list[str] = []
    if label_set.kind != "model":
        # A custom label set rests on the lab's labels alone: its counts are always known, and it is not
        # "ready" until every class (including one added later) has a few labels.
        counts = tally(label_set.classes, lab_labels)
        needing = [c for c in label_set.classes if counts.get(c, 0) < MIN_LABELS_PER_CLASS]
        if needing and status == "ready":
            status, message = "needs_labels", needs_labels_message(counts)
    seen = [c for c in lab_labels if visible is None or c.project_id in visible]
    support_size = latest.support_size if latest else None
    changed = list(latest.metrics.get("changed_image_ids", [])) if latest else []
    if visible is not None:
        every_label = counts
        if label_set.kind != "model":
            counts = tally(label_set.classes, seen)
        elif latest is not None:
            counts = _reference_counts(latest, lab_labels)
            for cell in seen:
                counts[cell.label] = counts.get(cell.label, 0) + 1
        if latest is not None:
            support_size = visible_support_size(latest, visible)
        if status == "needs_labels" and counts is not None and counts != every_label:  # else its numbers are theirs
            message = visible_needs_labels_message(counts, needing or label_set.classes)
        changed = [i for i in changed if (img := await store.get_image(i)) is not None and img.project_id in visible]
    return LabelSetPublic(
        name=label_set.name,
        kind="model" if label_set.kind == "model" else "custom",
        classes=label_set.classes,
        description=label_set.description,
        status=status,  # type: ignore[arg-type]
        message=message,
        model_version=model_version,
        classifier_version=latest.version if latest else None,
        labels_version=label_set.labels_version,
        fitted_labels_version=label_set.fitted_labels_version,
        updating=model_version is not None and label_set.needs_refit(model_version),
        lab_labels=len(seen),
        support_size=support_size,
        class_counts=counts,
        classes_needing_labels=needing,
        changed_image_ids=changed,
    )


def tally(classes: list[str], cells: list[CellLabel]) -> dict[str, int]:
    """Labelled cells per class (0 for a class nobody labelled)."""
    counts = dict.fromkeys(classes, 0)
    for cell in cells:
        counts[cell.label] = counts.get(cell.label, 0) + 1
    return counts


def _reference_counts(version: ClassifierVersion, lab_labels: list[CellLabel]) -> dict[str, int]:
    """The bundle's own cells per class in a classifier's support set (no project's: everyone may see them).

    Classifiers refitted before the per-project metrics: the fit's counts less the lab's current labels.
    """
    if "reference_class_counts" in version.metrics:
        return dict(version.metrics["reference_class_counts"])
    counts = dict(version.metrics.get("class_counts", {}))
    for cell in lab_labels:
        counts[cell.label] = max(0, counts.get(cell.label, 0) - 1)
    return counts


def visible_lab_cells(version: ClassifierVersion, visible: set[str]) -> int:
    """Lab cells of a classifier's support set in `visible` projects (0 for versions fitted before this was kept)."""
    return sum(n for pid, n in version.metrics.get("lab_cells_by_project", {}).items() if pid in visible)


def visible_support_size(version: ClassifierVersion, visible: set[str]) -> int:
    """A classifier's support set as a user sees it: the bundle's cells and the lab cells of `visible` projects."""
    lab_cells = int(version.metrics.get("lab_cells", 0))
    return version.support_size - lab_cells + visible_lab_cells(version, visible)


def visible_needs_labels_message(counts: dict[str, int], needing: list[str]) -> str:
    """'Needs labels' in the numbers of the projects the user can see (the stored message counts every project)."""
    seen = ", ".join(f"{c} ({counts.get(c, 0)})" for c in needing)
    return (
        f"Label at least {MIN_LABELS_PER_CLASS} cells of each class to get a classifier. Still short of labels: "
        f"{seen} (counted in the projects you can see). A class without labels is never predicted."
    )


async def changed_image_ids(store: Store, label_set: str, model_version: str) -> set[str]:
    """Cells whose predicted class in `label_set` changed at its last refit on `model_version`."""
    versions = [v for v in await store.list_classifier_versions(label_set) if v.model_version == model_version]
    return set(versions[-1].metrics.get("changed_image_ids", [])) if versions else set()


def event_public(event: LabelEvent, usernames: dict[str, str]) -> LabelEventPublic:
    return LabelEventPublic(
        id=event.id,
        image_id=event.image_id,
        project_id=event.project_id,
        label_set=event.label_set,
        label=event.label,
        previous_label=event.previous_label,
        action=event.action,  # type: ignore[arg-type]
        source=event.source,  # type: ignore[arg-type]
        username=usernames.get(event.user_id, event.user_id),
        created_at=event.created_at,
        undoes=event.undoes,
        undone_by=event.undone_by,
        reason=event.reason,
    )


def cell_label_public(label: CellLabel, usernames: dict[str, str]) -> CellLabelPublic:
    return CellLabelPublic(
        image_id=label.image_id,
        project_id=label.project_id,
        label_set=label.label_set,
        label=label.label,
        source=label.source,  # type: ignore[arg-type]
        username=usernames.get(label.user_id, label.user_id),
        event_id=label.event_id,
        updated_at=label.updated_at,
    )


async def usernames_of(store: Store) -> dict[str, str]:
    return {u.id: u.username for u in await store.list_users()}


def parse_import_csv(data: bytes, max_rows: int = 100_000) -> list[tuple[int, str, str]]:
    """(line, image_id, label) rows of an import CSV with columns `image_id,label`; 400 with the reason otherwise.

    A row with an empty value is returned as it is: the route reports it with the other rows at fault.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "The CSV is not UTF-8 text; save it as UTF-8 CSV.") from None
    try:
        reader = csv.DictReader(io.StringIO(text))
        columns = [c.strip() for c in reader.fieldnames or []]
        missing = [c for c in IMPORT_COLUMNS if c not in columns]
        if missing:
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST,
                f"The CSV needs the columns image_id and label (missing: {', '.join(missing)}; "
                f"found: {', '.join(columns) or 'none'}).",
            )
        reader.fieldnames = columns
        rows: list[tuple[int, str, str]] = []
        for row in reader:
            if len(rows) >= max_rows:
                raise HTTPException(
                    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, f"At most {max_rows} rows per import; split the file."
                )
            image_id, label = (row.get("image_id") or "").strip(), (row.get("label") or "").strip()
            rows.append((reader.line_num, image_id, label))
    except csv.Error as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"The CSV cannot be read ({exc}).") from None
    if not rows:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "The CSV has no rows to import.")
    return rows


def export_csv(events: list[LabelEvent], usernames: dict[str, str], filenames: dict[str, str]) -> str:
    out = io.StringIO()
    writer = SafeCsvWriter(out)
    writer.writerow(EXPORT_COLUMNS)
    for e in events:
        writer.writerow(
            [
                e.id,
                e.created_at.isoformat(),
                e.label_set,
                e.image_id,
                e.project_id,
                filenames.get(e.image_id, ""),
                e.label or "",
                e.previous_label or "",
                e.action,
                e.source,
                usernames.get(e.user_id, e.user_id),
                e.undoes or "",
                e.undone_by or "",
            ]
        )
    return out.getvalue()
