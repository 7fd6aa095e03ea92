"""Request and response models of the REST API (docs/API.md), separate from the storage records.

The browser app's typed client is generated from these through the OpenAPI schema, so
names follow the lab's words and the contract exactly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

RoleName = Literal["pathologist", "reviewer", "admin"]
JobStatusName = Literal["pending", "running", "done", "failed"]


class HealthPublic(BaseModel):
    status: Literal["ok"] = "ok"


class ReadyPublic(BaseModel):
    database: bool
    model_version: str | None


class UserPublic(BaseModel):
    id: str
    username: str
    role: RoleName
    created_at: datetime


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=256)
    role: RoleName = "pathologist"


class UserUpdate(BaseModel):
    role: RoleName | None = None
    password: str | None = Field(default=None, min_length=8, max_length=256)


class TokenPublic(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    user: UserPublic


class ProjectCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class ProjectUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    #: Usernames who may see the project besides its owner (replaces the current list).
    members: list[str] | None = None


class ProjectPublic(BaseModel):
    id: str
    name: str
    owner_id: str
    members: list[str]
    created_at: datetime


class FileOutcome(BaseModel):
    filename: str
    status: Literal["accepted", "duplicate", "rejected"]
    image_id: str | None = None
    error: str | None = None


class UploadPublic(BaseModel):
    files: list[FileOutcome]


class LandscapePosition(BaseModel):
    x: float
    y: float


class NeighbourPublic(BaseModel):
    reference_id: str
    label: str
    distance: float
    thumbnail_url: str


class ResultPublic(BaseModel):
    model_version: str
    label_set: str
    label: str
    confidence: float
    labels: dict[str, str]
    probabilities: dict[str, dict[str, float]]
    neighbours: list[NeighbourPublic]
    landscape: LandscapePosition | None


class ImageSummary(BaseModel):
    id: str
    filename: str
    status: JobStatusName
    label: str | None
    confidence: float | None
    error: str | None
    uploaded_at: datetime
    job_id: str


class ImagePublic(BaseModel):
    id: str
    project_id: str
    filename: str
    sha256: str
    size: int
    format: str
    width: int
    height: int
    uploaded_by: str
    uploaded_at: datetime
    status: JobStatusName
    job_id: str
    error: str | None
    result: ResultPublic | None


class ImageResultPublic(BaseModel):
    image_id: str
    filename: str
    status: JobStatusName
    error: str | None
    result: ResultPublic | None


class JobPublic(BaseModel):
    id: str
    image_id: str
    status: JobStatusName
    attempts: int
    error: str | None
    created_at: datetime
    updated_at: datetime


class ReferencePoint(BaseModel):
    reference_id: str
    x: float
    y: float
    label: str


class CellPoint(BaseModel):
    image_id: str
    x: float
    y: float
    label: str
    confidence: float


class LandscapePublic(BaseModel):
    model_version: str | None
    references: list[ReferencePoint]
    cells: list[CellPoint]


class ClassCount(BaseModel):
    label: str
    count: int
    percentage: float


class DifferentialCountPublic(BaseModel):
    label_set: str
    total: int
    classes: list[ClassCount]


class ModelVersionPublic(BaseModel):
    version: str
    created: str
    default_label_set: str
    label_sets: dict[str, list[str]]
    metrics: dict[str, object]
    reference_count: int
    active: bool
