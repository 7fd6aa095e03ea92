// Typed builders of the API's resources for tests: the one place that knows every field, so a test
// names only the fields it is about, and a change to the schema breaks here (at typecheck), once.
import type {
  Capabilities,
  CaseDetails,
  CellResult,
  ClassName,
  ImageDetail,
  ImageSummary,
  ImportProblem,
  LabClassCount,
  LabDifferential,
  LabelEvent,
  LabelImportRejected,
  LabelQueue,
  LabelSet,
  LearningCurve,
  Member,
  ModelVersion,
  Project,
  QueueItem,
  User,
} from "../shared/api/types";

const WHEN = "2026-11-23T10:00:00Z";

/** The signed-in admin most tests use. */
export const admin: User = { id: "u1", username: "ada", role: "admin", created_at: "2026-01-01T00:00:00Z" };

export function user(change: Partial<User> = {}): User {
  return { ...admin, ...change };
}

/** "Case 7" (p1), owned by the admin. */
export function project(change: Partial<Project> = {}): Project {
  return {
    id: "p1",
    name: "Case 7",
    owner_id: "u1",
    members: [],
    created_at: WHEN,
    status: "in_review",
    ...change,
  };
}

/** A cell in a project's list; classified ("done") unless told otherwise. */
export function imageSummary(id: string, change: Partial<ImageSummary> = {}): ImageSummary {
  return {
    id,
    filename: `${id}.jpg`,
    status: "done",
    label: null,
    label_set: change.label ? "cell_type" : null,
    reviewed_label: null,
    changed: false,
    unusable: null,
    usable_confirmed: false,
    neighbours_agree: null,
    needs_review: false,
    confidence: null,
    error: null,
    uploaded_at: WHEN,
    job_id: `j-${id}`,
    ...change,
  };
}

export function cellResult(change: Partial<CellResult> = {}): CellResult {
  return {
    model_version: "pbc-2026.11",
    label_set: "cell_type",
    label: "neutrophil",
    confidence: 0.9,
    labels: { cell_type: "neutrophil" },
    probabilities: { cell_type: { neutrophil: 0.9, lymphocyte: 0.1 } },
    neighbours: [],
    landscape: { x: 0, y: 0 },
    ...change,
  };
}

/** One cell with its result (null: not classified yet). */
export function imageDetail(id: string, change: Partial<ImageDetail> = {}): ImageDetail {
  return {
    id,
    project_id: "p1",
    filename: `${id}.jpg`,
    sha256: "0".repeat(64),
    size: 1024,
    format: "JPEG",
    width: 360,
    height: 363,
    uploaded_by: "ada",
    uploaded_at: WHEN,
    status: "done",
    job_id: `j-${id}`,
    error: null,
    result: null,
    usable_confirmed: false,
    ...change,
  };
}

/** A label set of the model's (cell_type) unless told otherwise. */
export function labelSet(name: string, change: Partial<LabelSet> = {}): LabelSet {
  return {
    name,
    kind: "model",
    classes: ["lymphocyte", "neutrophil"],
    description: "",
    status: "model",
    message: null,
    model_version: "pbc-2026.11",
    classifier_version: null,
    labels_version: 0,
    fitted_labels_version: 0,
    updating: false,
    lab_labels: 0,
    support_size: null,
    class_counts: null,
    classes_needing_labels: [],
    changed_image_ids: [],
    ...change,
  };
}

/** The custom label set "reactive" while it still needs labels (it has no classifier yet). */
export function customLabelSet(change: Partial<LabelSet> = {}): LabelSet {
  return labelSet("reactive", {
    kind: "custom",
    classes: ["reactive lymphocyte", "normal"],
    status: "needs_labels",
    message: "Label cells of at least two classes.",
    ...change,
  });
}

export function learningCurve(name: string, change: Partial<LearningCurve> = {}): LearningCurve {
  return { label_set: name, points: [], power_law: null, ...change };
}

/** A reviewer's label change ("set" unless told otherwise). */
export function labelEvent(id: string, change: Partial<LabelEvent> = {}): LabelEvent {
  return {
    id,
    image_id: "a",
    project_id: "p1",
    label_set: "cell_type",
    label: "lymphocyte",
    previous_label: null,
    action: "set",
    source: "reviewer",
    username: "ada",
    created_at: WHEN,
    undoes: null,
    undone_by: null,
    ...change,
  };
}

export function queueItem(imageId: string, change: Partial<QueueItem> = {}): QueueItem {
  return {
    image_id: imageId,
    project_id: "p1",
    filename: `${imageId}.jpg`,
    label: "neutrophil",
    confidence: 0.6,
    margin: 0.2,
    entropy: 0.6,
    ...change,
  };
}

export function labelQueue(name: string, change: Partial<LabelQueue> = {}): LabelQueue {
  return {
    label_set: name,
    strategy: "uncertainty",
    classifier_version: 1,
    review: [],
    confirm: [],
    candidates: 0,
    ...change,
  };
}

/** A registered model version with a held-out cell-type macro F1. */
export function modelVersion(
  version: string,
  change: Partial<ModelVersion> & { macroF1?: number } = {},
): ModelVersion {
  const { macroF1 = 0.9, ...rest } = change;
  return {
    version,
    created: WHEN,
    default_label_set: "cell_type",
    label_sets: { cell_type: ["lymphocyte", "neutrophil"] },
    metrics: { training: { input_size: 96 }, held_out: { cell_type: { macro_f1: macroF1 } } },
    comparable_metrics: { "held_out.cell_type.macro_f1": macroF1 },
    reference_count: 3200,
    active: false,
    registered_at: WHEN,
    registered_by: "ada",
    activated_at: null,
    stored: true,
    ...rest,
  };
}

/** A row of a label import the server refused (an unknown image unless told otherwise). */
export function importProblem(row: number, change: Partial<ImportProblem> = {}): ImportProblem {
  const value = change.value ?? "nope";
  return {
    row,
    column: "image_id",
    value,
    code: "unknown_image",
    message: `Line ${row}: there is no image ${value}`,
    ...change,
  };
}

/** The 400 body of a label import with rows at fault (all of them listed unless told otherwise). */
export function importRejected(
  problems: ImportProblem[],
  change: Partial<LabelImportRejected> = {},
): LabelImportRejected {
  return {
    detail: `Nothing was imported: ${problems.map((problem) => problem.message).join("; ")}.`,
    problems,
    problem_count: problems.length,
    classes: ["reactive lymphocyte", "normal"],
    ...change,
  };
}

/** The case details of "Case 7" (p1): in review, nothing filled in. */
export function caseDetails(change: Partial<CaseDetails> = {}): CaseDetails {
  return {
    project_id: "p1",
    name: "Case 7",
    specimen_id: "",
    collection_date: null,
    analyser: "",
    wbc_count: null,
    note: "",
    status: "in_review",
    signed_off_by: null,
    signed_off_at: null,
    ...change,
  };
}

/** What the admin may do on a case in review: everything but reopen it. */
export function capabilities(change: Partial<Capabilities> = {}): Capabilities {
  return {
    project_id: "p1",
    role: "admin",
    status: "in_review",
    is_owner: true,
    view: true,
    rename: true,
    delete: true,
    edit_case_details: true,
    upload: true,
    rescore: true,
    label: true,
    label_needs_reason: false,
    confirm_usable: true,
    sign_off: true,
    reopen: false,
    manage_members: true,
    request_explanation: true,
    read_audit_log: true,
    download_report: true,
    ...change,
  };
}

/** What a reviewer may do: look and label, nothing else. */
export function reviewerCapabilities(change: Partial<Capabilities> = {}): Capabilities {
  return capabilities({
    role: "reviewer",
    is_owner: false,
    rename: false,
    delete: false,
    edit_case_details: false,
    upload: false,
    rescore: false,
    confirm_usable: false,
    sign_off: false,
    manage_members: false,
    read_audit_log: false,
    ...change,
  });
}

export function member(username: string, change: Partial<Member> = {}): Member {
  return { username, role: "reviewer", is_owner: false, ...change };
}

/** The default label set's lab names, as GET /class-names answers: in the lab's report order. */
export const classNames: ClassName[] = [
  { code: "neutrophil", name: "Neutrophil", category: "wbc" },
  { code: "lymphocyte", name: "Lymphocyte", category: "wbc" },
  { code: "monocyte", name: "Monocyte", category: "wbc" },
  { code: "eosinophil", name: "Eosinophil", category: "wbc" },
  { code: "basophil", name: "Basophil", category: "wbc" },
  { code: "ig", name: "Immature granulocyte", category: "wbc" },
  { code: "erythroblast", name: "Erythroblast (NRBC)", category: "nrbc" },
  { code: "platelet", name: "Platelet", category: "platelet" },
];

export function labClassCount(code: string, change: Partial<LabClassCount> = {}): LabClassCount {
  const known = classNames.find((item) => item.code === code);
  return {
    code,
    name: known?.name ?? code,
    category: known?.category ?? "wbc",
    count: 0,
    reviewed: 0,
    not_reviewed: 0,
    percentage: null,
    absolute: null,
    ...change,
  };
}

export function labDifferential(change: Partial<LabDifferential> = {}): LabDifferential {
  return {
    project_id: "p1",
    label_set: "cell_type",
    model_versions: [],
    wbc_count: null,
    white_cells: 0,
    classes: [],
    platelets: 0,
    nrbc: 0,
    nrbc_per_100_wbc: null,
    reviewed: 0,
    not_reviewed: 0,
    unusable: 0,
    unclassified: 0,
    status: "in_review",
    ...change,
  };
}
