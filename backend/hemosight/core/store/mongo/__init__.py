"""The MongoDB store, for sites that run several backends and workers: PyMongo's async API.

Kept deliberately plain. A replica set is required: it gives transactions (an image and
its job are inserted together; a result is written together with its job's completion)
and change streams, through which waiting workers hear about new jobs at once. Image
bytes live in GridFS with the SHA-256 as file id, so each distinct cell is stored once.
Claiming is one `find_one_and_update` per job, which MongoDB makes atomic.

The adapter is split by aggregate, each a mixin over the shared client (connection.py): accounts.py,
projects.py (with images), jobs.py (with results and wake-ups), models.py (versions and bundle files),
labels.py (label sets, labels, classifiers), review.py (a case's audit log, explanations);
records and documents are mapped in codec.py.
"""

from __future__ import annotations

from hemosight.core.store.mongo.accounts import AccountsMixin
from hemosight.core.store.mongo.connection import BLOB_BUCKET, MIGRATIONS, MODEL_BUCKET
from hemosight.core.store.mongo.jobs import JobsMixin
from hemosight.core.store.mongo.labels import LabelsMixin
from hemosight.core.store.mongo.model_jobs import ModelJobsMixin
from hemosight.core.store.mongo.models import ModelsMixin
from hemosight.core.store.mongo.projects import ProjectsMixin
from hemosight.core.store.mongo.review import ReviewMixin

__all__ = ["BLOB_BUCKET", "MIGRATIONS", "MODEL_BUCKET", "MongoStore"]


class MongoStore(AccountsMixin, ProjectsMixin, JobsMixin, ModelsMixin, LabelsMixin, ReviewMixin, ModelJobsMixin):
    """The `Store` for sites with several backends and workers: one MongoDB replica set."""
