"""Storage records → API models. Kept in one place so every route shows a record the same way."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from hemosight.api.schemas import (
    ImagePublic,
    ImageSummary,
    JobPublic,
    LandscapePosition,
    NeighbourPublic,
    ProjectPublic,
    ResultPublic,
    UserPublic,
)
from hemosight.core.store.base import ImageEntry, Job, Project, Result, Store, User

API_PREFIX = "/api/v1"
#: Review rules (benchmarks/bench_calibration.py): a cell goes to a person when its confidence is below
#: LOW_CONFIDENCE or fewer than NEIGHBOUR_AGREEMENT of its nearest reference cells share its predicted class.
LOW_CONFIDENCE = 0.7
NEIGHBOUR_AGREEMENT = 0.8


def neighbours_agree(result: Result) -> float | None:
    """Share of the nearest reference cells labelled as the prediction (their labels are of the default label set)."""
    if not result.neighbours:
        return None
    return sum(1 for n in result.neighbours if n.label == result.label) / len(result.neighbours)


def user_public(user: User) -> UserPublic:
    return UserPublic(id=user.id, username=user.username, role=user.role, created_at=user.created_at)  # type: ignore[arg-type]


async def project_public(store: Store, project: Project, usernames: dict[str, str] | None = None) -> ProjectPublic:
    if usernames is None:
        usernames = {u.id: u.username for u in await store.list_users()}
    members = sorted(usernames[m] for m in project.member_ids if m in usernames)
    return ProjectPublic(
        id=project.id,
        name=project.name,
        owner_id=project.owner_id,
        members=members,
        created_at=project.created_at,
        status=project.status,  # type: ignore[arg-type]
    )


def reference_thumbnail_url(reference_id: str, model_version: str) -> str:
    return (
        f"{API_PREFIX}/references/{quote(reference_id, safe='')}/thumbnail"
        f"?model_version={quote(model_version, safe='')}"
    )


def neighbours_public(result: Result) -> list[NeighbourPublic]:
    return [
        NeighbourPublic(
            reference_id=n.reference_id,
            label=n.label,
            distance=n.distance,
            thumbnail_url=reference_thumbnail_url(n.reference_id, result.model_version),
        )
        for n in result.neighbours
    ]


def result_public(result: Result) -> ResultPublic:
    return ResultPublic(
        model_version=result.model_version,
        label_set=result.default_label_set,
        label=result.label,
        confidence=result.confidence,
        labels=result.labels,
        probabilities=result.probabilities,
        neighbours=neighbours_public(result),
        landscape=LandscapePosition(x=result.landscape[0], y=result.landscape[1]) if result.landscape else None,
        unusable=result.unusable,
    )


def runner_up(probabilities: Mapping[str, float], predicted: str) -> tuple[str | None, float | None]:
    """The class ranked second and its probability: how close the call was ("91 % · runner-up band 6 %")."""
    others = [(p, label) for label, p in probabilities.items() if label != predicted]
    if not others:
        return None, None
    probability, label = max(others)
    return label, probability


def image_summary(entry: ImageEntry) -> ImageSummary:
    result = entry.result
    agree = neighbours_agree(result) if result else None
    scores = result.probabilities.get(result.default_label_set, {}) if result else {}
    second, second_p = runner_up(scores, result.label) if result else (None, None)
    return ImageSummary(
        id=entry.image.id,
        filename=entry.image.filename,
        status=entry.job.status,  # type: ignore[arg-type]
        label=result.label if result else None,
        label_set=result.default_label_set if result else None,
        confidence=result.confidence if result else None,
        runner_up=second,
        runner_up_probability=second_p,
        unusable=result.unusable if result else None,
        neighbours_agree=agree,
        needs_review=result is not None
        and (result.confidence < LOW_CONFIDENCE or (agree is not None and agree < NEIGHBOUR_AGREEMENT)),
        error=entry.job.error,
        uploaded_at=entry.image.uploaded_at,
        job_id=entry.job.id,
    )


def image_public(entry: ImageEntry, usable_confirmed: bool = False) -> ImagePublic:
    image = entry.image
    return ImagePublic(
        id=image.id,
        project_id=image.project_id,
        filename=image.filename,
        sha256=image.sha256,
        size=image.size,
        format=image.format,
        width=image.width,
        height=image.height,
        uploaded_by=image.uploaded_by,
        uploaded_at=image.uploaded_at,
        status=entry.job.status,  # type: ignore[arg-type]
        job_id=entry.job.id,
        error=entry.job.error,
        result=result_public(entry.result) if entry.result else None,
        usable_confirmed=usable_confirmed,
    )


def job_public(job: Job) -> JobPublic:
    return JobPublic(
        id=job.id,
        image_id=job.image_id,
        status=job.status,  # type: ignore[arg-type]
        attempts=job.attempts,
        error=job.error,
        created_at=job.created_at,
        updated_at=job.updated_at,
    )
