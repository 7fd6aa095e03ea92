"""The embedded store's tables, and the migrations that bring an older database up to date.

A new column is appended by a migration here (``ALTER TABLE … ADD COLUMN``) and in SCHEMA;
inserts name their columns (codec.py), so the column order never matters.
"""

from __future__ import annotations

#: Label sets, the lab's labels with their audit trail, and classifiers refitted by the workers (schema 2).
LABEL_TABLES = """
CREATE TABLE IF NOT EXISTS label_sets (
    name TEXT PRIMARY KEY, classes TEXT NOT NULL, kind TEXT NOT NULL, description TEXT NOT NULL,
    created_by TEXT NOT NULL, labels_version INTEGER NOT NULL DEFAULT 0,
    fitted_labels_version INTEGER NOT NULL DEFAULT 0, fitted_model_version TEXT, status TEXT NOT NULL,
    message TEXT, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS labels (
    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE, label_set TEXT NOT NULL,
    project_id TEXT NOT NULL, label TEXT NOT NULL, source TEXT NOT NULL, user_id TEXT NOT NULL,
    event_id TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (image_id, label_set));
CREATE INDEX IF NOT EXISTS labels_label_set ON labels(label_set, project_id);
CREATE TABLE IF NOT EXISTS label_events (
    id TEXT PRIMARY KEY, image_id TEXT NOT NULL, project_id TEXT NOT NULL, label_set TEXT NOT NULL,
    label TEXT, previous_label TEXT, source TEXT NOT NULL, user_id TEXT NOT NULL, action TEXT NOT NULL,
    undoes TEXT, undone_by TEXT, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS label_events_cell ON label_events(image_id, label_set);
CREATE TABLE IF NOT EXISTS classifiers (
    label_set TEXT NOT NULL, version INTEGER NOT NULL, model_version TEXT NOT NULL,
    labels_version INTEGER NOT NULL, classes TEXT NOT NULL, arrays BLOB NOT NULL, support_size INTEGER NOT NULL,
    metrics TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (label_set, version));
"""

#: People's confirmations that a cell the usable-cell check flagged is usable after all (schema 3).
USABLE_CONFIRMATIONS = """
CREATE TABLE IF NOT EXISTS usable_confirmations (
    image_id TEXT PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE, project_id TEXT NOT NULL,
    user_id TEXT NOT NULL, confirmed_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS usable_confirmations_project ON usable_confirmations(project_id);
"""

#: A case's audit log (sign-off, reopen) and the explanations workers compute on request (schema 4).
REVIEW_TABLES = """
CREATE TABLE IF NOT EXISTS case_events (
    id TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE, action TEXT NOT NULL,
    user_id TEXT NOT NULL, reason TEXT, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS case_events_project ON case_events(project_id, created_at);
CREATE TABLE IF NOT EXISTS explanations (
    image_id TEXT PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE, project_id TEXT NOT NULL,
    model_version TEXT NOT NULL, requested_by TEXT NOT NULL, status TEXT NOT NULL, method TEXT, png BLOB,
    error TEXT, worker_id TEXT, lease_expires_at REAL, attempts INTEGER NOT NULL DEFAULT 0,
    requested_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS explanations_status ON explanations(status, requested_at);
"""

#: Label changes after sign-off carry a reason (schema 4); LABEL_TABLES stays as schema 2 made it, as migration
#: 1 → 2 creates it, so the column is added after it in both paths.
LABEL_EVENT_REASON = "ALTER TABLE label_events ADD COLUMN reason TEXT;"

#: The case details and sign-off columns of `projects` (schema 4), added by the migration to older databases.
CASE_COLUMNS = (
    ("specimen_id", "TEXT NOT NULL DEFAULT ''"),
    ("collection_date", "TEXT"),
    ("analyser", "TEXT NOT NULL DEFAULT ''"),
    ("wbc_count", "REAL"),
    ("note", "TEXT NOT NULL DEFAULT ''"),
    ("status", "TEXT NOT NULL DEFAULT 'in_review'"),
    ("signed_off_by", "TEXT"),
    ("signed_off_at", "TEXT"),
)

#: Jobs that make a model version, e.g. adapting the model to a lab (schema 5).
MODEL_JOBS = """
CREATE TABLE IF NOT EXISTS model_jobs (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, params TEXT NOT NULL, created_by TEXT NOT NULL, status TEXT NOT NULL,
    phase TEXT NOT NULL, fraction REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, error TEXT, worker_id TEXT,
    lease_expires_at REAL, model_version TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS model_jobs_status ON model_jobs(kind, status, created_at);
"""

SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
    role TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS projects (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, owner_id TEXT NOT NULL, created_at TEXT NOT NULL,
    specimen_id TEXT NOT NULL DEFAULT '', collection_date TEXT, analyser TEXT NOT NULL DEFAULT '', wbc_count REAL,
    note TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT 'in_review', signed_off_by TEXT, signed_off_at TEXT);
CREATE TABLE IF NOT EXISTS project_members (
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE, user_id TEXT NOT NULL,
    PRIMARY KEY (project_id, user_id));
CREATE INDEX IF NOT EXISTS project_members_user ON project_members(user_id);
CREATE TABLE IF NOT EXISTS images (
    id TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    filename TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL, format TEXT NOT NULL,
    width INTEGER NOT NULL, height INTEGER NOT NULL, uploaded_by TEXT NOT NULL, uploaded_at TEXT NOT NULL,
    UNIQUE (project_id, sha256));
CREATE INDEX IF NOT EXISTS images_sha256 ON images(sha256);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, image_id TEXT NOT NULL UNIQUE REFERENCES images(id) ON DELETE CASCADE,
    project_id TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, error TEXT,
    worker_id TEXT, lease_expires_at REAL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status, created_at);
CREATE TABLE IF NOT EXISTS results (
    image_id TEXT PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE, project_id TEXT NOT NULL,
    job_id TEXT NOT NULL, model_version TEXT NOT NULL, default_label_set TEXT NOT NULL,
    labels TEXT NOT NULL, probabilities TEXT NOT NULL, neighbours TEXT NOT NULL,
    landscape_x REAL, landscape_y REAL, created_at TEXT NOT NULL, embedding BLOB, unusable TEXT);
CREATE INDEX IF NOT EXISTS results_project ON results(project_id);
CREATE INDEX IF NOT EXISTS results_model ON results(model_version);
CREATE TABLE IF NOT EXISTS model_versions (
    version TEXT PRIMARY KEY, path TEXT NOT NULL, checksum TEXT NOT NULL, default_label_set TEXT NOT NULL,
    label_sets TEXT NOT NULL, metrics TEXT NOT NULL, created TEXT NOT NULL, reference_count INTEGER NOT NULL,
    active INTEGER NOT NULL DEFAULT 0, registered_at TEXT NOT NULL, registered_by TEXT NOT NULL DEFAULT '',
    activated_at TEXT);
"""
    + LABEL_TABLES
    + USABLE_CONFIRMATIONS
    + LABEL_EVENT_REASON
    + REVIEW_TABLES
    + MODEL_JOBS
)

#: Migrations from version n to n+1, applied in order at open.
MIGRATIONS: dict[int, str] = {
    # 1 → 2: results keep their embedding; label sets, labels, their audit trail and refitted classifiers.
    # Model versions record who registered them and when they were last activated (rollback).
    1: "ALTER TABLE model_versions ADD COLUMN registered_by TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE model_versions ADD COLUMN activated_at TEXT;"
    "ALTER TABLE results ADD COLUMN embedding BLOB;"
    "CREATE INDEX IF NOT EXISTS results_model ON results(model_version);" + LABEL_TABLES,
    # 2 → 3: the usable-cell check's verdict per result, and people's confirmations of flagged cells.
    2: "ALTER TABLE results ADD COLUMN unusable TEXT;" + USABLE_CONFIRMATIONS,
    # 3 → 4: case details and sign-off on projects, a reason on label changes after sign-off, the case audit
    # log, and explanations.
    3: "".join(f"ALTER TABLE projects ADD COLUMN {name} {kind};" for name, kind in CASE_COLUMNS)
    + LABEL_EVENT_REASON
    + REVIEW_TABLES,
    # 4 → 5: jobs that make a model version (adapting the model to a lab).
    4: MODEL_JOBS,
}
