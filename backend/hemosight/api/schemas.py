"""Request and response models of the REST API (docs/API.md), separate from the storage records.

The browser app's typed client is generated from these through the OpenAPI schema, so
names follow the lab's words and the contract exactly.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from hemosight.core.accounts import MAX_PASSWORD_LENGTH, MAX_USERNAME_LENGTH, MIN_PASSWORD_LENGTH, USERNAME_PATTERN

RoleName = Literal["pathologist", "reviewer", "admin"]
JobStatusName = Literal["pending", "running", "done", "failed"]
CaseStatusName = Literal["in_review", "signed_off"]
#: White cell counts an analyser reports, ×10⁹/L: above 0, at most 500 (extreme leukaemic counts stay below that).
MIN_WBC_COUNT, MAX_WBC_COUNT = 0.01, 500.0


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
    username: str = Field(min_length=1, max_length=MAX_USERNAME_LENGTH, pattern=USERNAME_PATTERN)
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)
    role: RoleName = "pathologist"


class UserUpdate(BaseModel):
    role: RoleName | None = None
    password: str | None = Field(default=None, min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)


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
    #: "in_review" until a pathologist signs the case off (`POST /projects/{id}/sign-off`).
    status: CaseStatusName = "in_review"


class CaseDetailsUpdate(BaseModel):
    """Only the fields sent change; send null to clear one."""

    specimen_id: str | None = Field(default=None, max_length=100)
    #: The day the specimen was collected (YYYY-MM-DD), not in the future.
    collection_date: date | None = None
    analyser: str | None = Field(default=None, max_length=100)
    #: White cell count from the analyser, ×10⁹/L (0.01–500).
    wbc_count: float | None = Field(default=None, ge=MIN_WBC_COUNT, le=MAX_WBC_COUNT)
    note: str | None = Field(default=None, max_length=2000)


class CaseDetailsPublic(BaseModel):
    project_id: str
    name: str
    specimen_id: str
    collection_date: date | None
    analyser: str
    wbc_count: float | None
    note: str
    status: CaseStatusName
    signed_off_by: str | None
    signed_off_at: datetime | None


class SignOffCreate(BaseModel):
    #: Optional words for the sign-off (e.g. "smear reviewed, no blasts").
    comment: str | None = Field(default=None, max_length=500)


class ReopenCreate(BaseModel):
    #: Why the signed-off case is opened again: kept in the audit log.
    reason: str = Field(min_length=3, max_length=500)


class UndoCreate(BaseModel):
    #: Required when the cell's case is signed off.
    reason: str | None = Field(default=None, min_length=3, max_length=500)


class AuditEntryPublic(BaseModel):
    """One entry of a case's audit log: a sign-off, a reopening, or a label change made after sign-off."""

    id: str
    action: Literal["sign_off", "reopen", "set", "confirm", "undo"]
    username: str
    created_at: datetime
    reason: str | None
    #: For label changes: the cell, the label set and old → new label.
    image_id: str | None = None
    filename: str | None = None
    label_set: str | None = None
    previous_label: str | None = None
    label: str | None = None


class CapabilitiesPublic(BaseModel):
    """What the signed-in user may do on one project now: the browser app hides what is false."""

    project_id: str
    role: RoleName
    status: CaseStatusName
    is_owner: bool
    view: bool
    rename: bool
    delete: bool
    edit_case_details: bool
    upload: bool
    rescore: bool
    label: bool
    #: Labels may change, but only with a `reason` (the case is signed off).
    label_needs_reason: bool
    confirm_usable: bool
    sign_off: bool
    reopen: bool
    manage_members: bool
    request_explanation: bool
    read_audit_log: bool
    download_report: bool


class UserCapabilitiesPublic(BaseModel):
    """What the signed-in user may do outside any one project."""

    create_projects: bool
    manage_users: bool
    manage_models: bool
    manage_label_sets: bool
    export_labels: bool
    sign_off: bool
    reopen: bool


class MePublic(BaseModel):
    id: str
    username: str
    role: RoleName
    created_at: datetime
    #: Always filled in by `GET /auth/me` (optional in the schema so a signed-in `UserPublic` still fits the type).
    capabilities: UserCapabilitiesPublic | None = None


class MemberPublic(BaseModel):
    username: str
    role: RoleName
    is_owner: bool


class MemberCreate(BaseModel):
    username: str = Field(min_length=1, max_length=MAX_USERNAME_LENGTH)


class SetupStatusPublic(BaseModel):
    #: True while no account exists: the first administrator can be created with `POST /setup`.
    needs_setup: bool
    #: True when this request comes from the server machine itself (only then may `POST /setup` be used).
    local: bool


class SetupCreate(BaseModel):
    username: str = Field(min_length=1, max_length=MAX_USERNAME_LENGTH, pattern=USERNAME_PATTERN)
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)


class ClassNamePublic(BaseModel):
    code: str
    #: The lab's name of the class, used on every screen, CSV and PDF.
    name: str
    #: "wbc" classes make up the differential's percentages; platelets and NRBC are reported apart.
    category: Literal["wbc", "platelet", "nrbc"]


class LabClassCount(BaseModel):
    code: str
    name: str
    category: Literal["wbc", "platelet", "nrbc"]
    count: int
    #: Of `count`, cells a person labelled or confirmed / cells only the model classified.
    reviewed: int
    not_reviewed: int
    #: Share of the white cells (null for platelets and NRBC, which are not white cells).
    percentage: float | None
    #: count / white cells × WBC count, ×10⁹/L; null without a WBC count or for platelets and NRBC.
    absolute: float | None


class LabDifferentialPublic(BaseModel):
    """The differential as a lab reports it (see backend/hemosight/api/lab_differential.py)."""

    project_id: str
    label_set: str
    #: The models that classified the counted cells (one, unless the case was partly re-scored).
    model_versions: list[str]
    wbc_count: float | None
    #: White cells counted: the denominator of the percentages.
    white_cells: int
    classes: list[LabClassCount]
    platelets: int
    nrbc: int
    #: Erythroblasts per 100 white cells (null with no white cells).
    nrbc_per_100_wbc: float | None
    #: All counted cells (white cells, platelets, NRBC) reviewed by a person / not.
    reviewed: int
    not_reviewed: int
    #: Left out: flagged by the usable-cell check and not confirmed by a person.
    unusable: int
    #: Not classified yet (pending, running or failed).
    unclassified: int
    status: CaseStatusName


class ExplanationPublic(BaseModel):
    image_id: str
    status: Literal["pending", "running", "done", "failed"]
    model_version: str
    #: "gradcam++" (the encoder's GradCAM++ heatmap) or "occlusion" (the runtime fallback without TensorFlow).
    method: str | None
    error: str | None
    requested_at: datetime
    updated_at: datetime
    #: The PNG overlay, once done.
    image_url: str | None


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
    #: Why the image is not a usable cell (blank, greyscale, a strip, far from every reference cell…); null
    #: when it is. An unusable cell is left out of the differential count until a person confirms it.
    unusable: str | None = None


class ImageSummary(BaseModel):
    id: str
    filename: str
    status: JobStatusName
    #: The prediction in the model's default label set (`label_set`), as the results grid shows it.
    label: str | None
    label_set: str | None
    #: The lab's own label for the cell in that label set (a correction or a confirmation), if any.
    reviewed_label: str | None = None
    #: Who reviewed it (username) and when.
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    #: The label the lab differential counts the cell under: `reviewed_label`, else the prediction.
    lab_label: str | None = None
    #: True when the lab differential counts the cell (classified, and not flagged unusable without confirmation).
    #: Always true or false in the grid's answer (null only in the schema, so older clients need not send it).
    counted: bool | None = None
    #: True when the last refit of `label_set` changed this cell's predicted class.
    changed: bool = False
    #: Share of the 10 nearest reference cells labelled as the prediction (null before classification).
    neighbours_agree: float | None = None
    #: Send to a person: confidence below 0.7, or fewer than 8 of the 10 nearest reference cells agree
    #: (benchmarks/RESULTS.md, "Calibrated confidence": the two rules catch different errors).
    needs_review: bool = False
    #: Why the image is not a usable cell, or null (see `ResultPublic.unusable`).
    unusable: str | None = None
    #: A person confirmed the flagged cell counts (`POST /images/{id}/confirm-usable`).
    usable_confirmed: bool = False
    confidence: float | None
    #: The class ranked second in `label_set` and its probability (null before classification).
    runner_up: str | None = None
    runner_up_probability: float | None = None
    error: str | None
    uploaded_at: datetime
    job_id: str


class AnalysedSquare(BaseModel):
    """The square of the image the encoder saw, in the image's pixels (it may reach past the edges when a lab's
    zoom is below 1). The reference cells' thumbnails show this square of theirs: shown at their size, a cell is
    at their scale; the explanation's heatmap covers it."""

    top: int
    left: int
    side: int


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
    #: A person confirmed that the cell counts although the usable-cell check flagged it.
    usable_confirmed: bool = False
    #: The lab's label in the default label set, who reviewed the cell and when (null until reviewed).
    reviewed_label: str | None = None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    #: Of a classified cell, by the model that classified it; null before, or while that model's bundle cannot
    #: be read.
    field_of_view: AnalysedSquare | None = None


class ImageResultPublic(BaseModel):
    image_id: str
    filename: str
    status: JobStatusName
    error: str | None
    result: ResultPublic | None
    #: The lab's label in the result's label set (reviewed, else predicted), and who reviewed it when.
    lab_label: str | None = None
    reviewed_label: str | None = None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None


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
    """A cell of the project on the landscape, with what the map marks: flagged cells and reviewed cells."""

    image_id: str
    x: float
    y: float
    label: str
    confidence: float
    #: Share of the 10 nearest reference cells labelled as the prediction (see `ImageSummary.neighbours_agree`).
    neighbours_agree: float | None = None
    #: Send to a person: low confidence or neighbours disagree, and not reviewed yet (`ImageSummary.needs_review`).
    needs_review: bool = False
    #: Why the image is not a usable cell, or null (see `ResultPublic.unusable`).
    unusable: str | None = None
    #: A person confirmed the flagged cell counts.
    usable_confirmed: bool = False
    #: The lab's own label for the cell (a correction or a confirmation) in the differential's label set, if any.
    reviewed_label: str | None = None
    #: The class the model ranked second and its probability, as in `ImageSummary` (the hover card shows it).
    runner_up: str | None = None
    runner_up_probability: float | None = None


class LandscapePublic(BaseModel):
    model_version: str | None
    references: list[ReferencePoint]
    cells: list[CellPoint]


class ClassCount(BaseModel):
    label: str
    count: int
    percentage: float
    #: The lab's name of the class (`GET /class-names`); always filled in.
    name: str | None = None


class DifferentialCountPublic(BaseModel):
    label_set: str
    total: int
    classes: list[ClassCount]
    #: Cells left out because the usable-cell check flagged them and nobody confirmed them yet.
    unusable: int = 0


class ModelVersionPublic(BaseModel):
    version: str
    created: str
    default_label_set: str
    label_sets: dict[str, list[str]]
    metrics: dict[str, object]
    #: The numeric metrics flattened to dotted names (``held_out.cell_type.macro_f1``), to compare versions.
    comparable_metrics: dict[str, float] = {}
    reference_count: int
    active: bool
    registered_at: datetime | None = None
    registered_by: str = ""
    activated_at: datetime | None = None
    #: True when the bundle's bytes are kept in the store (uploaded), false when registered by path.
    stored: bool = False


AdaptHead = Literal["auto", "bundle", "lab"]


class AdaptRequest(BaseModel):
    """ "Adapt to this lab": the projects whose cells (and labels) to use, and which steps to run."""

    project_ids: list[str] = Field(min_length=1, max_length=200, description="projects whose cells are the lab's")
    colour: bool = Field(False, description="map the lab's colours to the training style (Reinhard lαβ)")
    scale: bool = Field(True, description="zoom the lab's cells to the training magnification (nucleus area)")
    fine_tune_minutes: float = Field(
        0.0, ge=0, le=120, description="minutes of self-supervised encoder fine-tuning on the lab's cells; 0: none"
    )
    head: AdaptHead = Field(
        "auto",
        description="the label set's classifier: 'auto' (chosen by cross-validation on the lab's labelled cells), "
        "'bundle' (the model's own) or 'lab' (fitted on the lab's labels alone; needs labels)",
    )
    label_set: str | None = Field(None, description="the label set to adapt; default: the model's default label set")


class ModelJobPublic(BaseModel):
    """A job that makes a model version; `phase` and `fraction` show how far it is."""

    id: str
    kind: str
    status: JobStatusName
    phase: str
    fraction: float
    attempts: int
    error: str | None = None
    #: The version it registered (not active), once done.
    model_version: str | None = None
    params: dict[str, object]
    created_by: str
    created_at: datetime
    updated_at: datetime


class RescorePublic(BaseModel):
    project_id: str
    model_version: str
    queued: int


LabelSetKind = Literal["model", "custom"]
LabelSetStatus = Literal["model", "ready", "needs_labels", "failed"]
LabelAction = Literal["set", "confirm"]
QueueStrategy = Literal["auto", "lab", "uncertainty", "margin", "entropy", "random", "cst", "cst+al"]


class LabelSetCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    classes: list[str] = Field(min_length=2, max_length=100)
    description: str = Field(default="", max_length=500)


class LabelSetUpdate(BaseModel):
    #: Classes to add (existing classes stay: labels may use them).
    add_classes: list[str] = Field(default_factory=list, max_length=100)
    description: str | None = Field(default=None, max_length=500)


class LabelSetPublic(BaseModel):
    name: str
    kind: LabelSetKind
    classes: list[str]
    description: str
    #: "model": the bundle's classifier is used; "ready": a classifier refitted on the lab's labels;
    #: "needs_labels": no classifier yet (`message` says what to label); "failed": see `message`.
    status: LabelSetStatus
    message: str | None
    model_version: str | None
    #: Goes up with every new classifier of this label set; null while the bundle's classifier is used.
    classifier_version: int | None
    #: Goes up with every label change; the worker refits until `fitted_labels_version` catches up.
    labels_version: int
    fitted_labels_version: int
    #: True while the label set waits for a refit (poll `GET /label-sets/{name}` until it is false).
    updating: bool
    lab_labels: int
    #: Labelled cells the classifier in use rests on (null while the bundle's classifier is used).
    support_size: int | None = None
    #: Labelled cells per class in that support set (custom label sets: the lab's labels, always known).
    class_counts: dict[str, int] | None = None
    #: Classes with fewer labelled cells than a classifier needs (custom label sets): label these next.
    classes_needing_labels: list[str] = []
    #: Cells whose predicted class changed at the last refit (reviewed cells never change).
    changed_image_ids: list[str] = []


class LabelCreate(BaseModel):
    label_set: str = Field(min_length=1, max_length=64)
    #: The class; may be omitted with action "confirm" (confirms the current prediction).
    label: str | None = Field(default=None, min_length=1, max_length=200)
    action: LabelAction = "set"
    #: Required when the cell's case is signed off; kept in the case's audit log.
    reason: str | None = Field(default=None, min_length=3, max_length=500)


class BulkLabelItem(BaseModel):
    image_id: str
    label: str | None = Field(default=None, min_length=1, max_length=200)


class BulkLabelCreate(BaseModel):
    label_set: str = Field(min_length=1, max_length=64)
    action: LabelAction = "set"
    items: list[BulkLabelItem] = Field(min_length=1, max_length=5000)
    #: Required when a cell's case is signed off; kept in the case's audit log.
    reason: str | None = Field(default=None, min_length=3, max_length=500)


class LabelEventPublic(BaseModel):
    id: str
    image_id: str
    project_id: str
    label_set: str
    label: str | None
    previous_label: str | None
    action: Literal["set", "confirm", "undo"]
    source: Literal["model-reference", "reviewer", "import"]
    username: str
    created_at: datetime
    undoes: str | None
    undone_by: str | None
    reason: str | None = None


class CellLabelPublic(BaseModel):
    image_id: str
    project_id: str
    label_set: str
    label: str
    source: Literal["model-reference", "reviewer", "import"]
    username: str
    event_id: str
    updated_at: datetime


class ImageLabelsPublic(BaseModel):
    image_id: str
    labels: dict[str, CellLabelPublic]
    history: list[LabelEventPublic]


class QueueItem(BaseModel):
    image_id: str
    project_id: str
    filename: str
    label: str
    confidence: float
    #: The class ranked second and its probability (null when the label set has one class).
    runner_up: str | None = None
    runner_up_probability: float | None = None
    margin: float
    entropy: float


class QueuePublic(BaseModel):
    label_set: str
    strategy: QueueStrategy
    classifier_version: int | None
    #: Cells to label by hand, most informative first.
    review: list[QueueItem]
    #: Cells whose prediction is confident (≥ threshold) to confirm in bulk (confirmed self-training).
    confirm: list[QueueItem]
    #: Unlabelled cells with a prediction in this label set that the queue was chosen from.
    candidates: int


class LearningCurvePoint(BaseModel):
    classifier_version: int
    support_size: int
    lab_labels: int
    #: Share of the cells labelled after this classifier (until the next one) that it had predicted right:
    #: a held-out score, as those cells were not in its support set. Null until such labels exist.
    agreement: float | None
    #: How many cells that score is measured on.
    next_labels: int
    created_at: datetime


class PowerLawFit(BaseModel):
    p_max: float
    k: float
    n0: float
    r: float
    rmse: float


class LearningCurvePublic(BaseModel):
    label_set: str
    points: list[LearningCurvePoint]
    #: P(n) = p_max − k / (n − n0)^r fitted to (support_size, agreement); null with fewer than 4 points.
    power_law: PowerLawFit | None


class LabelImportPublic(BaseModel):
    imported: int
    unchanged: int


ImportProblemCode = Literal["empty", "unknown_image", "unknown_class"]


class ImportProblem(BaseModel):
    """One row of a label import that cannot be used: as data (the browser lists them) and in words."""

    row: int = Field(description="Line of the CSV (the header is line 1)")
    column: Literal["image_id", "label"]
    value: str
    code: ImportProblemCode
    message: str = Field(description="The problem in one sentence, naming the line")


class LabelImportRejected(BaseModel):
    """A label import that was refused because of its rows: nothing was imported.

    `detail` says it in one sentence, like every error; `problems` lists the first rows at fault
    (`problem_count` counts them all) and `classes` names the label set's classes, so a client shows
    the rows without parsing the sentence.
    """

    detail: str
    problems: list[ImportProblem]
    problem_count: int
    classes: list[str]
