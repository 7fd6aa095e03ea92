"""The embedded store: one SQLite file (WAL mode) plus a content-addressed image folder.

Needs no server, so `hemosight serve` works on a lab PC out of the box. The backend and
each worker process open their own connection; WAL lets readers run while one writer
commits, and every state change of a job is a single `BEGIN IMMEDIATE` transaction, which
is what makes claiming atomic across processes.

All SQL runs on one private thread per store (sqlite3 connections are not meant to be
shared between threads), so the async methods never block the event loop.

The adapter is split by aggregate, each a mixin over the shared connection (connection.py):
accounts.py (users), projects.py (projects, images), jobs.py (jobs, results), models.py
(model versions and bundle files), labels.py (label sets, labels, classifiers), review.py (a case's
audit log, explanations), model_jobs.py (jobs that
make a model version). Rows and
records are mapped by one codec driven by the dataclasses (codec.py); tables and migrations
are in schema.py.
"""

from __future__ import annotations

from hemosight.core.store.sqlite.accounts import AccountsMixin
from hemosight.core.store.sqlite.jobs import WAKE_CHECK_SECONDS, JobsMixin
from hemosight.core.store.sqlite.labels import LabelsMixin
from hemosight.core.store.sqlite.model_jobs import ModelJobsMixin
from hemosight.core.store.sqlite.models import ModelsMixin
from hemosight.core.store.sqlite.projects import ProjectsMixin
from hemosight.core.store.sqlite.review import ReviewMixin
from hemosight.core.store.sqlite.schema import MIGRATIONS, SCHEMA

__all__ = ["MIGRATIONS", "SCHEMA", "WAKE_CHECK_SECONDS", "SQLiteStore"]


class SQLiteStore(AccountsMixin, ProjectsMixin, JobsMixin, ModelsMixin, LabelsMixin, ReviewMixin, ModelJobsMixin):
    """The `Store` for one machine: everything under one data folder."""
