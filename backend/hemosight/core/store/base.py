"""The storage interface shared by the backend and the worker, and the records it stores.

The store is the only thing the backend and the worker share, so every guarantee of the
job pipeline lives behind this interface and is checked by one contract test suite
(tests/backend/test_store_contract.py) against every implementation:

- an image upload stores the bytes and creates the image and its job together, or nothing;
  a second upload of the same bytes into the same project is reported as a duplicate;
- `claim_jobs` hands each pending job to exactly one worker, with a lease; a lease that
  is not renewed by `heartbeat` expires and the job goes back to pending, until
  `max_attempts` claims have been used up and it fails with a message for the user;
- `complete_job` succeeds only for the worker that holds the lease, so a job is completed
  at most once, and writing the same result twice changes nothing.

Records are plain dataclasses; the REST schemas in backend/hemosight/api/schemas.py are separate so the
API can change shape without a data migration.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from hemosight.ml.errors import HemosightError

#: Bumped whenever the stored layout changes; each store refuses a database newer than this.
SCHEMA_VERSION = 5

Role = Literal["pathologist", "reviewer", "admin"]
ROLES: tuple[str, ...] = ("pathologist", "reviewer", "admin")
JobStatus = Literal["pending", "running", "done", "failed"]
CaseStatus = Literal["in_review", "signed_off"]
CASE_STATUSES: tuple[str, ...] = ("in_review", "signed_off")


def new_id() -> str:
    """32 hex digits that sort by creation time (nanoseconds, then random): a stable order even when
    the database stores timestamps at millisecond precision."""
    return f"{time.time_ns():016x}{uuid.uuid4().hex[:16]}"


def utcnow() -> datetime:
    return datetime.now(UTC)


class StoreError(HemosightError, RuntimeError):
    """The database cannot be used as it is; the message says what to do."""


class ConflictError(HemosightError, ValueError):
    """A unique value (such as a username) is already taken."""


class BundleFileError(HemosightError, RuntimeError):
    """A model bundle's bytes cannot be found or are damaged; the message says what to do."""


#: The registered `path` of a model bundle kept in MongoDB's GridFS: ``gridfs:<sha256>``.
GRIDFS_SCHEME = "gridfs:"


@dataclass
class User:
    username: str
    password_hash: str
    role: str
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=utcnow)


@dataclass
class Project:
    """A case or slide: the set of cell images uploaded together and reviewed together."""

    name: str
    owner_id: str
    member_ids: list[str] = field(default_factory=list)
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=utcnow)
    # Case details (schema 4): what the lab's report header needs. Empty / None until someone enters them.
    specimen_id: str = ""
    #: ISO date (YYYY-MM-DD) the specimen was collected.
    collection_date: str | None = None
    analyser: str = ""
    #: White cell count from the analyser, ×10⁹/L: turns the differential's percentages into absolute counts.
    wbc_count: float | None = None
    note: str = ""
    #: "in_review" or "signed_off"; a signed-off case's labels change only with a reason (audited).
    status: str = "in_review"
    signed_off_by: str | None = None
    signed_off_at: datetime | None = None


#: Fields of a project that only `Store.set_case_status` writes (never `update_project`).
CASE_STATUS_FIELDS = ("status", "signed_off_by", "signed_off_at")


@dataclass
class Image:
    project_id: str
    filename: str
    sha256: str
    size: int
    format: str
    width: int
    height: int
    uploaded_by: str
    id: str = field(default_factory=new_id)
    uploaded_at: datetime = field(default_factory=utcnow)


@dataclass
class Job:
    """Classification of one image. `attempts` counts claims; `lease_expires_at` is epoch seconds."""

    image_id: str
    project_id: str
    status: str = "pending"
    attempts: int = 0
    error: str | None = None
    worker_id: str | None = None
    lease_expires_at: float | None = None
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)


@dataclass
class NeighbourRecord:
    reference_id: str
    label: str
    distance: float


@dataclass
class Result:
    """What the model said about one image, in every label set of the bundle that produced it."""

    image_id: str
    project_id: str
    job_id: str
    model_version: str
    default_label_set: str
    labels: dict[str, str]
    probabilities: dict[str, dict[str, float]]
    neighbours: list[NeighbourRecord]
    landscape: tuple[float, float] | None
    created_at: datetime = field(default_factory=utcnow)
    #: The cell's embedding as float16 bytes, so label-set classifiers can be refitted and re-scored
    #: without running the encoder again (None for results written before embeddings were kept).
    embedding: bytes | None = field(default=None, repr=False)
    #: Why the image is not a usable cell (hemosight.ml.quality), in words; None when it is usable. An unusable
    #: cell counts in the differential only once a person confirms it (`Store.confirm_usable`).
    unusable: str | None = None

    @property
    def label(self) -> str:
        return self.labels.get(self.default_label_set, "")

    @property
    def confidence(self) -> float:
        return self.probabilities.get(self.default_label_set, {}).get(self.label, 0.0)


@dataclass
class ModelVersion:
    """A registered model bundle; exactly one is active and used by the workers."""

    version: str
    path: str
    checksum: str
    default_label_set: str
    label_sets: dict[str, list[str]]
    metrics: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    reference_count: int = 0
    active: bool = False
    registered_at: datetime = field(default_factory=utcnow)
    #: Who registered it (a username, or e.g. "training-job"); empty for versions registered before schema 2.
    registered_by: str = ""
    #: When it was last made the active version; `hemosight models rollback` goes back to the latest before it.
    activated_at: datetime | None = None


#: Kinds of model job: "adapt" adapts the active model to a lab's cells (hemosight.worker.adapt).
MODEL_JOB_KINDS: tuple[str, ...] = ("adapt",)


@dataclass
class ModelJob:
    """A job that makes a model version, run by one worker at a time with a lease, like a classification job.

    Kept apart from `Job` (one per image): it has parameters, reports progress (`phase`, `fraction`)
    for minutes, and names the version it registered (`model_version`) once done. At most one job
    of a kind is pending or running (`Store.create_model_job`).
    """

    kind: str
    params: dict[str, Any]
    created_by: str
    status: str = "pending"
    phase: str = "queued"
    fraction: float = 0.0
    attempts: int = 0
    error: str | None = None
    worker_id: str | None = None
    lease_expires_at: float | None = None
    model_version: str | None = None
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)


@dataclass
class ImageEntry:
    """An image with its job and (when done) its result: one row of a project's image list."""

    image: Image
    job: Job
    result: Result | None


LabelSource = Literal["model-reference", "reviewer", "import"]
LABEL_SOURCES: tuple[str, ...] = ("model-reference", "reviewer", "import")


@dataclass
class LabelSet:
    """A named class list cells are labelled in: from the model bundle (`kind="model"`) or defined by the lab.

    `labels_version` goes up with every label change; a worker refits the label set's classifier
    when it is ahead of `fitted_labels_version` or the classifier belongs to another model.
    """

    name: str
    classes: list[str]
    kind: str = "custom"
    description: str = ""
    created_by: str = ""
    labels_version: int = 0
    fitted_labels_version: int = 0
    fitted_model_version: str | None = None
    #: "model" (the bundle's classifier), "ready", "needs_labels" or "failed"; `message` says why in words.
    status: str = "model"
    message: str | None = None
    created_at: datetime = field(default_factory=utcnow)

    def needs_refit(self, model_version: str) -> bool:
        """Labels changed since the last fit, or the last fit was on another model's embedding."""
        if self.labels_version == 0:
            return False
        return self.fitted_model_version != model_version or self.fitted_labels_version < self.labels_version


@dataclass
class CellLabel:
    """The current label of one cell in one label set: a member of the lab's support set."""

    image_id: str
    project_id: str
    label_set: str
    label: str
    source: str
    user_id: str
    event_id: str
    updated_at: datetime = field(default_factory=utcnow)


@dataclass
class LabelEvent:
    """One entry of the label audit trail. `label` None means the cell has no label afterwards."""

    image_id: str
    project_id: str
    label_set: str
    label: str | None
    source: str
    user_id: str
    action: str = "set"  # set | confirm | undo
    previous_label: str | None = None
    undoes: str | None = None
    undone_by: str | None = None
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=utcnow)
    #: Why the label changed after the case was signed off (required then; None before sign-off).
    reason: str | None = None


@dataclass
class CaseEvent:
    """One entry of a case's audit log besides label changes: a sign-off or a reopening, with who, when and why."""

    project_id: str
    action: str  # sign_off | reopen
    user_id: str
    reason: str | None = None
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=utcnow)


ExplanationStatus = Literal["pending", "running", "done", "failed"]


@dataclass
class Explanation:
    """A heatmap of what the encoder looked at in one cell, computed by a worker on request and kept as a PNG.

    One per image; it belongs to the model version of the result it explains, and a request after the
    cell was re-scored with another model computes it again.
    """

    image_id: str
    project_id: str
    model_version: str
    requested_by: str
    status: str = "pending"
    #: How the heatmap was made (e.g. "gradcam++" or "occlusion"), filled in by the worker.
    method: str | None = None
    png: bytes | None = field(default=None, repr=False)
    error: str | None = None
    worker_id: str | None = None
    lease_expires_at: float | None = None
    attempts: int = 0
    requested_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)


@dataclass
class ClassifierVersion:
    """A label-set classifier fitted by a worker on the lab's support set (arrays as npz bytes, no pickle)."""

    label_set: str
    model_version: str
    labels_version: int
    classes: list[str]
    arrays: bytes = field(repr=False)
    support_size: int
    metrics: dict[str, Any] = field(default_factory=dict)
    version: int = 0  # assigned by the store: 1, 2, ... per label set
    created_at: datetime = field(default_factory=utcnow)


@dataclass
class ResultVector:
    """What a refit needs of a result: the embedding and the current prediction in each label set."""

    image_id: str
    project_id: str
    embedding: bytes
    labels: dict[str, str]


def current_label(event: LabelEvent, label: str) -> CellLabel:
    """The cell's current label after `event` set it to `label` (the event's own label, narrowed to not None)."""
    return CellLabel(
        image_id=event.image_id,
        project_id=event.project_id,
        label_set=event.label_set,
        label=label,
        source=event.source,
        user_id=event.user_id,
        event_id=event.id,
        updated_at=event.created_at,
    )


def check_undoable(event: LabelEvent, latest_event_id: str) -> None:
    """Changes are undone newest first, each once: `latest_event_id` is the newest change of the cell's
    label in this label set that is neither an undo nor undone."""
    if event.undone_by is not None:
        raise ConflictError("This label change was already undone.")
    if event.action == "undo":
        raise ConflictError("This is an undo; to go back, set the label again.")
    if latest_event_id != event.id:
        raise ConflictError("The label of this cell was changed again after this change; undo the later change first.")


def undo_of(event: LabelEvent, user_id: str, reason: str | None = None) -> LabelEvent:
    """The audit entry that restores the label `event` replaced (no label if there was none)."""
    return LabelEvent(
        image_id=event.image_id,
        project_id=event.project_id,
        label_set=event.label_set,
        label=event.previous_label,
        previous_label=event.label,
        source=event.source,
        user_id=user_id,
        action="undo",
        undoes=event.id,
        reason=reason,
    )


class Store(Protocol):
    """Async storage used by the API and the worker. Implementations: SQLiteStore, MongoStore."""

    async def open(self) -> None:
        """Create or check the schema. Raises StoreError if the database is newer than this code."""

    async def close(self) -> None: ...

    async def ping(self) -> bool: ...

    async def schema_version(self) -> int: ...

    # users
    async def create_user(self, user: User) -> User:
        """Raises ConflictError if the username is taken."""

    async def get_user(self, user_id: str) -> User | None: ...
    async def get_user_by_username(self, username: str) -> User | None: ...
    async def list_users(self) -> list[User]: ...
    async def update_user(self, user: User) -> None: ...
    async def delete_user(self, user_id: str) -> bool: ...
    async def count_users(self) -> int: ...

    async def create_first_user(self, user: User) -> User:
        """Create `user` only if no account exists yet, atomically: of two racing calls exactly one succeeds.
        Raises ConflictError when an account exists (the first-run set-up is over)."""

    # projects
    async def create_project(self, project: Project) -> Project: ...
    async def get_project(self, project_id: str) -> Project | None: ...

    async def list_projects(self, member_id: str | None = None) -> list[Project]:
        """All projects, or only those `member_id` owns or belongs to."""

    async def update_project(self, project: Project) -> None:
        """Write the name, members and case details; the status and sign-off change only by `set_case_status`."""

    async def set_case_status(
        self, project_id: str, status: str, user_id: str | None, at: datetime | None, expected: str
    ) -> bool:
        """Sign off or reopen: set the status (with who and when) only if it is `expected` now, atomically, so a
        concurrent change of the case's details cannot undo a sign-off and two sign-offs cannot both succeed."""

    async def delete_project(self, project_id: str) -> bool:
        """Delete the project with its images, jobs and results; image bytes no other project uses go too."""

    # images and their bytes
    async def add_image(self, image: Image, data: bytes) -> tuple[Image, Job, bool]:
        """Store bytes, image and a pending job. Returns (image, job, duplicate); a duplicate stores nothing new."""

    async def get_image(self, image_id: str) -> Image | None: ...
    async def get_image_entry(self, image_id: str) -> ImageEntry | None: ...
    async def list_image_entries(self, project_id: str) -> list[ImageEntry]: ...
    async def read_image_bytes(self, sha256: str) -> bytes | None: ...

    # jobs
    async def get_job(self, job_id: str) -> Job | None: ...

    async def claim_jobs(self, worker_id: str, limit: int, lease_seconds: float, max_attempts: int) -> list[Job]:
        """Atomically lease up to `limit` pending jobs (oldest first) to `worker_id`.

        Running jobs whose lease has expired first go back to pending, or to failed once
        they have been claimed `max_attempts` times.
        """

    async def heartbeat(self, worker_id: str, job_ids: list[str], lease_seconds: float) -> list[str]:
        """Extend the leases `worker_id` still holds; returns the ids it still holds."""

    async def complete_job(self, worker_id: str, job_id: str, result: Result) -> bool:
        """Store the result and mark the job done, only if `worker_id` still holds the lease."""

    async def fail_job(self, worker_id: str, job_id: str, error: str, retry: bool, max_attempts: int) -> str | None:
        """Record an error; back to pending if `retry` and attempts remain, else failed. Returns the new status."""

    async def wait_for_jobs(self, timeout: float) -> None:
        """Return soon after new work may be available (a job was queued or a model activated), or after timeout."""

    async def job_counts(self) -> dict[str, int]:
        """Jobs per status (the queue depth reported at /metrics)."""

    async def requeue_project(self, project_id: str) -> int:
        """Send the project's finished and failed jobs back to pending (re-score with the active model).

        Attempts start again from zero; each old result stays visible until the new one replaces it.
        Returns how many jobs were queued again and wakes the workers.
        """

    # results
    async def get_result(self, image_id: str) -> Result | None: ...

    async def confirm_usable(self, image_id: str, user_id: str) -> bool:
        """Record that a person looked at a cell the usable-cell check flagged and says it counts.

        Kept apart from the result, so re-scoring the cell keeps the confirmation. False for an unknown image.
        """

    async def list_usable_confirmations(self, project_id: str) -> dict[str, str]:
        """Image id → id of the user who confirmed it usable, for the project's images."""

    # model versions
    async def register_model_version(self, model: ModelVersion) -> ModelVersion:
        """Insert or update by version; keeps the active flag of an existing record."""

    async def list_model_versions(self) -> list[ModelVersion]: ...
    async def get_model_version(self, version: str) -> ModelVersion | None: ...

    async def activate_model_version(self, version: str) -> bool:
        """Make this the only active version and wake the workers so they reload."""

    async def active_model_version(self) -> ModelVersion | None: ...

    # model jobs (adapting the model to a lab): one of a kind at a time, leased like classification jobs
    async def create_model_job(self, job: ModelJob) -> ModelJob:
        """Queue the job and wake the workers. ConflictError if a job of its kind is pending or running."""

    async def get_model_job(self, job_id: str) -> ModelJob | None: ...

    async def claim_model_job(self, worker_id: str, lease_seconds: float, max_attempts: int) -> ModelJob | None:
        """Lease the oldest pending model job; running ones whose lease expired go back to pending or fail first."""

    async def update_model_job(
        self, worker_id: str, job_id: str, phase: str, fraction: float, lease_seconds: float
    ) -> bool:
        """Record progress and extend the lease, only while `worker_id` holds it."""

    async def finish_model_job(
        self, worker_id: str, job_id: str, error: str | None, model_version: str | None, retry: bool, max_attempts: int
    ) -> str | None:
        """Done (`error` None, with the version registered) or failed/pending again; returns the new status."""

    # model bundle files kept by the store (`hemosight models upload`, the admin API)
    async def save_model_file(self, source: Path, checksum: str) -> str:
        """Keep a copy of the bundle at `source`; returns the location to register as the version's `path`.
        Raises BundleFileError if this store cannot keep bundles."""

    async def model_file(self, model: ModelVersion, cache_dir: Path) -> Path:
        """A local file with the bundle's bytes: its registered path, or a copy downloaded once into `cache_dir`
        and checked against the checksum. Raises BundleFileError if the bytes are missing or damaged."""

    # label sets, labels and their audit trail
    async def create_label_set(self, label_set: LabelSet) -> LabelSet:
        """Raises ConflictError if the name is taken."""

    async def ensure_label_set(self, label_set: LabelSet) -> LabelSet:
        """Insert unless a label set of that name exists; returns the stored one."""

    async def get_label_set(self, name: str) -> LabelSet | None: ...
    async def list_label_sets(self) -> list[LabelSet]: ...

    async def update_label_set_classes(self, name: str, classes: list[str]) -> LabelSet | None: ...

    async def record_fit(
        self, name: str, labels_version: int, model_version: str, status: str, message: str | None
    ) -> None:
        """Remember the outcome of a refit; an outcome for older labels than already recorded is ignored."""

    async def set_labels(self, events: list[LabelEvent]) -> list[LabelEvent]:
        """Apply label changes atomically: fill each event's `previous_label`, update the current labels,
        append to the audit trail, bump the label sets' `labels_version` and wake the workers."""

    async def undo_label_event(self, event_id: str, user_id: str, reason: str | None = None) -> LabelEvent:
        """Restore the label a change replaced. LookupError if unknown; ConflictError if it was already
        undone or a later change of the same cell and label set superseded it."""

    async def get_label_event(self, event_id: str) -> LabelEvent | None: ...

    async def list_labels(self, label_set: str, project_id: str | None = None) -> list[CellLabel]:
        """Current labels of a label set (the lab's support set), optionally of one project."""

    async def list_label_events(
        self, label_set: str | None = None, image_id: str | None = None, project_id: str | None = None
    ) -> list[LabelEvent]:
        """The audit trail, oldest first."""

    # a case's sign-off and its audit log
    async def add_case_event(self, event: CaseEvent) -> CaseEvent: ...

    async def list_case_events(self, project_id: str) -> list[CaseEvent]:
        """Sign-offs and reopenings of the case, oldest first."""

    # explanations (heatmaps computed by a worker on request)
    async def request_explanation(self, explanation: Explanation) -> Explanation:
        """Queue (or queue again) the explanation of an image, replacing any earlier one, and wake the workers."""

    async def get_explanation(self, image_id: str) -> Explanation | None: ...

    async def claim_explanation(self, worker_id: str, lease_seconds: float, max_attempts: int) -> Explanation | None:
        """Lease the oldest pending explanation (or one whose lease expired) to `worker_id`; None when there is none.
        One claimed `max_attempts` times without finishing fails with a message."""

    async def finish_explanation(
        self, worker_id: str, image_id: str, png: bytes | None, method: str | None, error: str | None
    ) -> bool:
        """Store the PNG (done) or the error (failed), only if `worker_id` still holds the lease."""

    # classifiers fitted by the workers, and re-scoring
    async def add_classifier(self, classifier: ClassifierVersion) -> ClassifierVersion:
        """Store a new version (numbered per label set) and mark the label set fitted."""

    async def latest_classifiers(self, model_version: str) -> dict[str, ClassifierVersion]:
        """The newest classifier per label set fitted on `model_version`'s embeddings."""

    async def list_classifier_versions(self, label_set: str) -> list[ClassifierVersion]:
        """All versions of a label set, oldest first, without their arrays."""

    async def list_result_vectors(self, model_version: str) -> list[ResultVector]:
        """Every result of `model_version` that kept its embedding."""

    async def update_predictions(
        self, label_set: str, model_version: str, probabilities: dict[str, dict[str, float]]
    ) -> int:
        """Replace one label set's prediction in results of `model_version`; returns how many changed."""
