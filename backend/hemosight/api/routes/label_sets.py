"""Label sets: the model's (cell type, morphological attributes) and those the lab defines after training.

Also what the review loop needs per label set: the cells to label next (active learning
and confirmed self-training), the learning curve of its refitted classifiers, and CSV import.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import numpy as np
from fastapi import APIRouter, File, HTTPException, Query, UploadFile, status

from hemosight.api.convert import runner_up
from hemosight.api.deps import AdminUser, CurrentUser, EditorUser, StoreDep, can_see, project_not_found
from hemosight.api.errors import StructuredError, error_response, error_responses
from hemosight.api.labelling import (
    available_label_sets,
    cell_label_public,
    label_set_public,
    parse_import_csv,
    resolve_label_set,
    stored_label_set,
    usernames_of,
    visible_lab_cells,
    visible_support_size,
)
from hemosight.api.permissions import is_signed_off
from hemosight.api.schemas import (
    CellLabelPublic,
    ImportProblem,
    LabelImportPublic,
    LabelImportRejected,
    LabelSetCreate,
    LabelSetPublic,
    LabelSetUpdate,
    LearningCurvePoint,
    LearningCurvePublic,
    PowerLawFit,
    QueueItem,
    QueuePublic,
    QueueStrategy,
)
from hemosight.core.store.base import ConflictError, ImageEntry, LabelEvent, LabelSet, Store, User

router = APIRouter(prefix="/label-sets", tags=["label-sets"], responses=error_responses(400, 401, 403, 404, 409, 413))

MAX_IMPORT_BYTES = 20 * 1024 * 1024


def _clean_classes(classes: list[str]) -> list[str]:
    cleaned = [c.strip() for c in classes]
    if any(not c or len(c) > 200 for c in cleaned):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "Class names must be 1 to 200 characters long.")
    if len(set(cleaned)) != len(cleaned):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "Each class may appear only once in a label set.")
    return cleaned


@router.get("", response_model=list[LabelSetPublic])
async def list_label_sets(store: StoreDep, user: CurrentUser) -> list[LabelSetPublic]:
    sets, model = await available_label_sets(store)
    visible = await _counted_projects(store, user)
    return [await label_set_public(store, s, model, visible) for s in sets.values()]


@router.post("", response_model=LabelSetPublic, status_code=status.HTTP_201_CREATED)
async def create_label_set(body: LabelSetCreate, store: StoreDep, user: EditorUser) -> LabelSetPublic:
    """A label set the lab defines (e.g. reactive lymphocyte / normal); it gets a classifier once
    cells of at least two of its classes are labelled."""
    classes = _clean_classes(body.classes)
    sets, model = await available_label_sets(store)
    if body.name in sets:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"A label set named {body.name!r} already exists; choose another."
        )
    label_set = LabelSet(
        name=body.name,
        classes=classes,
        kind="custom",
        description=body.description,
        created_by=user.id,
        status="needs_labels",
        message="No cell is labelled in this label set yet; label cells of at least two classes to get a classifier.",
    )
    try:
        created = await store.create_label_set(label_set)
    except ConflictError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return await label_set_public(store, created, model, await _counted_projects(store, user))


@router.get("/{name}", response_model=LabelSetPublic)
async def read_label_set(name: str, store: StoreDep, user: CurrentUser) -> LabelSetPublic:
    """Poll this after labelling: when `updating` turns false and `classifier_version` went up,
    the label set's predictions in every result have been re-scored."""
    label_set, model = await resolve_label_set(store, name)
    return await label_set_public(store, label_set, model, await _counted_projects(store, user))


@router.patch("/{name}", response_model=LabelSetPublic)
async def update_label_set(name: str, body: LabelSetUpdate, store: StoreDep, user: EditorUser) -> LabelSetPublic:
    label_set = await stored_label_set(store, name)
    added = [c for c in _clean_classes(body.add_classes) if c not in label_set.classes]
    updated = await store.update_label_set_classes(name, label_set.classes + added) if added else label_set
    assert updated is not None
    _, model = await available_label_sets(store)
    return await label_set_public(store, updated, model, await _counted_projects(store, user))


async def _counted_projects(store: Store, user: User) -> set[str] | None:
    """Whose labels a label set's totals count for `user`: every project for an admin, else the user's own."""
    return None if user.role == "admin" else await _visible_project_ids(store, user, None)


async def _visible_project_ids(store: Store, user: User, project_id: str | None) -> set[str]:
    if project_id is not None:
        project = await store.get_project(project_id)
        if project is None or not can_see(user, project):
            raise project_not_found(project_id)
        return {project.id}
    projects = await store.list_projects(None if user.role == "admin" else user.id)
    return {p.id for p in projects}


@router.get("/{name}/labels", response_model=list[CellLabelPublic])
async def list_labels(
    name: str, store: StoreDep, user: CurrentUser, project_id: str | None = None
) -> list[CellLabelPublic]:
    """The lab's current labels in this label set (its support set), in the projects you can see."""
    await resolve_label_set(store, name)
    visible = await _visible_project_ids(store, user, project_id)
    usernames = await usernames_of(store)
    return [cell_label_public(c, usernames) for c in await store.list_labels(name) if c.project_id in visible]


def _queue_item(entry: ImageEntry, probabilities: dict[str, float]) -> QueueItem:
    values = sorted(probabilities.values(), reverse=True)
    p = np.clip(np.asarray(values, np.float64), 1e-12, 1.0)
    label = max(probabilities, key=probabilities.__getitem__)
    second, second_p = runner_up(probabilities, label)
    return QueueItem(
        image_id=entry.image.id,
        project_id=entry.image.project_id,
        filename=entry.image.filename,
        label=label,
        confidence=values[0],
        runner_up=second,
        runner_up_probability=second_p,
        margin=values[0] - values[1] if len(values) > 1 else 1.0,
        entropy=float(-(p * np.log(p)).sum()),
    )


def new_lab_queue(
    candidates: list[tuple[ImageEntry, dict[str, float]]],
    labelled_vectors: list[np.ndarray],
    matrix: np.ndarray,
    size: int,
    seed: int,
) -> np.ndarray:
    """Candidate rows by `active_learning.lab_queue` over the lab's embedding (labelled cells count as covered).

    Cells stored without an embedding (results from before embeddings were kept) follow, by margin.
    """
    from hemosight.ml.active_learning import lab_queue, query

    with_vector = [i for i, (entry, _) in enumerate(candidates) if entry.result and entry.result.embedding]
    has_vector = set(with_vector)
    without = np.asarray([i for i in range(len(candidates)) if i not in has_vector], np.int64)
    order: list[int] = []
    if with_vector:
        vectors = [np.frombuffer(candidates[i][0].result.embedding, np.float16) for i in with_vector]  # type: ignore[union-attr, arg-type]
        x = np.stack([*labelled_vectors, *vectors]).astype(np.float32)
        done = np.zeros(len(x), bool)
        done[: len(labelled_vectors)] = True
        probabilities = np.concatenate([np.full((len(labelled_vectors), matrix.shape[1]), 1.0), matrix[with_vector]])
        picked = lab_queue(x, done, probabilities, min(size, len(with_vector)), seed)
        order = [with_vector[r - len(labelled_vectors)] for r in picked]
    if len(order) < size and len(without):
        order += [int(without[r]) for r in query(matrix[without], "margin", size - len(order), seed)]
    return np.asarray(order[:size], np.int64)


@router.get("/{name}/queue", response_model=QueuePublic)
async def queue(
    name: str,
    store: StoreDep,
    user: CurrentUser,
    strategy: QueueStrategy = "auto",
    size: Annotated[int, Query(ge=1, le=1000, description="cells to propose for labelling")] = 90,
    threshold: Annotated[float, Query(gt=0, le=1, description="confirmed self-training: top probability")] = 0.99,
    project_id: str | None = None,
    seed: int = 0,
) -> QueuePublic:
    """The next cells to label in this label set, from the unlabelled cells of the projects you can see.

    uncertainty / margin / entropy / random fill `review`; `cst` fills `confirm` with the cells whose
    top probability ≥ threshold (one-click bulk confirmation); `cst+al` fills both (margin for review).
    `lab` is the new-lab queue: diversity over k-means clusters of the lab's embedding first (so the
    first labels cover the lab's classes), then margin. `auto` (the default) is `lab` while the
    projects in view have fewer than `COLD_START` labels in this label set, then `uncertainty`.
    The answer names the strategy used.
    """
    from hemosight.ml.active_learning import COLD_START, cst_al_queue, cst_queue, query

    label_set, model = await resolve_label_set(store, name)
    visible = await _visible_project_ids(store, user, project_id)
    labels = await store.list_labels(name)
    labelled = {c.image_id for c in labels}
    if strategy == "auto":
        in_view = sum(1 for c in labels if c.project_id in visible)
        strategy = "lab" if in_view < COLD_START else "uncertainty"
    candidates: list[tuple[ImageEntry, dict[str, float]]] = []
    labelled_vectors: list[np.ndarray] = []
    for pid in sorted(visible):
        for entry in await store.list_image_entries(pid):
            result = entry.result
            if result is None or name not in result.probabilities:
                continue
            if model is not None and result.model_version != model.version:
                continue
            if entry.image.id in labelled:
                if result.embedding is not None:
                    labelled_vectors.append(np.frombuffer(result.embedding, np.float16))
                continue
            candidates.append((entry, result.probabilities[name]))
    versions = await store.list_classifier_versions(name) if label_set.labels_version else []
    current = [v for v in versions if model is not None and v.model_version == model.version]
    if not candidates and label_set.kind == "custom" and not current:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            label_set.message or f"Label set {name!r} has no classifier yet; label cells of two classes first.",
        )
    review: np.ndarray = np.zeros(0, np.int64)
    confirm: np.ndarray = np.zeros(0, np.int64)
    if candidates:  # none (new, empty or fully labelled projects): empty lists, not a matrix of zero columns
        classes = sorted({c for _, p in candidates for c in p})
        matrix = np.array([[p.get(c, 0.0) for c in classes] for _, p in candidates], np.float64)
        if strategy == "cst":
            confirm = await asyncio.to_thread(cst_queue, matrix, threshold)
        elif strategy == "cst+al":
            confirm, review = await asyncio.to_thread(cst_al_queue, matrix, "margin", size, threshold, seed)
        elif strategy == "lab":
            review = await asyncio.to_thread(new_lab_queue, candidates, labelled_vectors, matrix, size, seed)
        else:
            review = await asyncio.to_thread(query, matrix, strategy, size, seed)
    return QueuePublic(
        label_set=name,
        strategy=strategy,  # the one used ("auto" resolved)
        classifier_version=current[-1].version if current else None,
        review=[_queue_item(*candidates[i]) for i in review],
        confirm=[_queue_item(*candidates[i]) for i in confirm],
        candidates=len(candidates),
    )


@router.get("/{name}/learning-curve", response_model=LearningCurvePublic)
async def learning_curve(name: str, store: StoreDep, user: CurrentUser) -> LearningCurvePublic:
    """Each classifier version of the active model with how well it predicted the cells labelled after it."""
    from hemosight.ml.active_learning import fit_power_law

    _, model = await resolve_label_set(store, name)
    versions = [
        v for v in await store.list_classifier_versions(name) if model is not None and v.model_version == model.version
    ]
    visible = await _counted_projects(store, user)
    points = []
    for i, version in enumerate(versions):
        following = versions[i + 1].metrics if i + 1 < len(versions) else {}
        agreement, next_labels = following.get("agreement_on_new_labels"), int(following.get("new_labels", 0))
        support_size, lab_labels = version.support_size, int(version.metrics.get("lab_cells", 0))
        if visible is not None:  # only the labels of projects the user can see
            tallies = [t for pid, t in following.get("new_labels_by_project", {}).items() if pid in visible]
            next_labels = sum(n for n, _ in tallies)
            agreement = sum(a for _, a in tallies) / next_labels if next_labels else None
            support_size, lab_labels = visible_support_size(version, visible), visible_lab_cells(version, visible)
        points.append(
            LearningCurvePoint(
                classifier_version=version.version,
                support_size=support_size,
                lab_labels=lab_labels,
                agreement=agreement,
                next_labels=next_labels,
                created_at=version.created_at,
            )
        )
    scored = [p for p in points if p.agreement is not None]
    fit = (
        fit_power_law([p.support_size for p in scored], [p.agreement or 0.0 for p in scored])
        if len(scored) >= 4
        else None
    )
    return LearningCurvePublic(label_set=name, points=points, power_law=PowerLawFit(**fit) if fit else None)


@router.post(
    "/{name}/labels/import",
    response_model=LabelImportPublic,
    responses=error_response(400, LabelImportRejected, "The CSV cannot be read, or rows are at fault (listed)"),
)
async def import_labels(
    name: str,
    file: Annotated[UploadFile, File(description="CSV with columns image_id,label")],
    store: StoreDep,
    user: AdminUser,
) -> LabelImportPublic:
    """Administrators: set many labels from a CSV. All rows are checked first; one bad row rejects the file."""
    data = await file.read(MAX_IMPORT_BYTES + 1)
    await file.close()
    if len(data) > MAX_IMPORT_BYTES:
        raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "The CSV is larger than 20 MB; split it.")
    rows = parse_import_csv(data)
    label_set = await stored_label_set(store, name)
    current = {c.image_id: c.label for c in await store.list_labels(name)}
    events, unchanged, problems = [], 0, []
    for line, image_id, label in rows:
        image = await store.get_image(image_id) if image_id else None
        problem = _import_problem(label_set, line, image_id, label, image is not None)
        if problem is not None:
            problems.append(problem)
            continue
        assert image is not None  # an unknown image is a problem above
        if current.get(image_id) == label:
            unchanged += 1
            continue
        current[image_id] = label
        events.append(
            LabelEvent(
                image_id=image_id,
                project_id=image.project_id,
                label_set=name,
                label=label,
                source="import",
                user_id=user.id,
            )
        )
    signed = []
    for project_id in {e.project_id for e in events}:
        project = await store.get_project(project_id)
        if project is not None and is_signed_off(project):
            signed.append(project.name)
    if problems:
        raise StructuredError(status.HTTP_400_BAD_REQUEST, _import_rejected(label_set, problems))
    if signed:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"The case(s) {', '.join(repr(n) for n in sorted(signed)[:3])} are signed off: change their labels one "
            "by one with a reason, or reopen them first.",
        )
    for start in range(0, len(events), 1000):
        await store.set_labels(events[start : start + 1000])
    return LabelImportPublic(imported=len(events), unchanged=unchanged)


#: Rows at fault listed in a rejected import's body (all are counted); the sentence names the first few.
MAX_LISTED_PROBLEMS = 100
MAX_PROBLEMS_IN_WORDS = 5


def _import_problem(
    label_set: LabelSet, line: int, image_id: str, label: str, image_known: bool
) -> ImportProblem | None:
    """Why one import row cannot be used, or None when it can."""
    if not image_id:
        message = f"Line {line}: the image_id is empty; fill it in or remove the row"
        return ImportProblem(row=line, column="image_id", value="", code="empty", message=message)
    if not label:
        message = f"Line {line}: the label is empty; fill it in or remove the row"
        return ImportProblem(row=line, column="label", value="", code="empty", message=message)
    if not image_known:
        message = f"Line {line}: there is no image {image_id}"
        return ImportProblem(row=line, column="image_id", value=image_id, code="unknown_image", message=message)
    if label not in label_set.classes:
        message = f"Line {line}: {label!r} is not a class of {label_set.name!r}"
        return ImportProblem(row=line, column="label", value=label, code="unknown_class", message=message)
    return None


def _import_rejected(label_set: LabelSet, problems: list[ImportProblem]) -> LabelImportRejected:
    """The 400 body of an import with rows at fault: the rows as data, and one sentence naming the first few."""
    shown = "; ".join(p.message for p in problems[:MAX_PROBLEMS_IN_WORDS])
    more = f" (and {len(problems) - MAX_PROBLEMS_IN_WORDS} more)" if len(problems) > MAX_PROBLEMS_IN_WORDS else ""
    detail = f"Nothing was imported: {shown}{more}. Classes of {label_set.name!r}: {', '.join(label_set.classes)}."
    return LabelImportRejected(
        detail=detail,
        problems=problems[:MAX_LISTED_PROBLEMS],
        problem_count=len(problems),
        classes=list(label_set.classes),
    )
