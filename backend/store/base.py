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

Records are plain dataclasses; the REST schemas in backend/schemas.py are separate so the
API can change shape without a data migration.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

#: Bumped whenever the stored layout changes; each store refuses a database newer than this.
SCHEMA_VERSION = 1

Role = Literal["pathologist", "reviewer", "admin"]
ROLES: tuple[str, ...] = ("pathologist", "reviewer", "admin")
JobStatus = Literal["pending", "running", "done", "failed"]


def new_id() -> str:
    """32 hex digits that sort by creation time (nanoseconds, then random): a stable order even when
    the database stores timestamps at millisecond precision."""
    return f"{time.time_ns():016x}{uuid.uuid4().hex[:16]}"


def utcnow() -> datetime:
    return datetime.now(UTC)


class StoreError(RuntimeError):
    """The database cannot be used as it is; the message says what to do."""


class ConflictError(ValueError):
    """A unique value (such as a username) is already taken."""


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


@dataclass
class ImageEntry:
    """An image with its job and (when done) its result: one row of a project's image list."""

    image: Image
    job: Job
    result: Result | None


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

    # projects
    async def create_project(self, project: Project) -> Project: ...
    async def get_project(self, project_id: str) -> Project | None: ...

    async def list_projects(self, member_id: str | None = None) -> list[Project]:
        """All projects, or only those `member_id` owns or belongs to."""

    async def update_project(self, project: Project) -> None: ...

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

    # results
    async def get_result(self, image_id: str) -> Result | None: ...

    # model versions
    async def register_model_version(self, model: ModelVersion) -> ModelVersion:
        """Insert or update by version; keeps the active flag of an existing record."""

    async def list_model_versions(self) -> list[ModelVersion]: ...
    async def get_model_version(self, version: str) -> ModelVersion | None: ...

    async def activate_model_version(self, version: str) -> bool:
        """Make this the only active version and wake the workers so they reload."""

    async def active_model_version(self) -> ModelVersion | None: ...
