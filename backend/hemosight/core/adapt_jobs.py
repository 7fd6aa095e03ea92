"""Starting "Adapt to this lab": the checks an admin can act on, then the job, shared by the API and the CLI.

The work runs on a worker (worker/hemosight/worker/adapt.py); what is checked here is what the
admin can still fix before minutes of work start: no active model, an unknown label set or
project, too few cells, no labels where the chosen head needs them, a job already running.
"""

from __future__ import annotations

from typing import Any

from hemosight.core.store.base import ConflictError, ModelJob, Store
from hemosight.ml.adapt_options import MIN_CELLS, MIN_LABELS
from hemosight.ml.errors import HemosightError


class AdaptRequestError(HemosightError, ValueError):
    """The adapt request cannot be queued; `status` is the HTTP status the API answers with (400, 404, 409)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


async def queue_adapt_job(store: Store, project_ids: list[str], options: dict[str, Any], created_by: str) -> ModelJob:
    """Check the request and queue an adapt job for the active model; raises AdaptRequestError in words."""
    model = await store.active_model_version()
    if model is None:
        raise AdaptRequestError("No model is active; activate one before adapting it to a lab.", 409)
    label_set = options.get("label_set") or model.default_label_set
    if label_set not in model.label_sets:
        raise AdaptRequestError(
            f"Model {model.version} has no label set {label_set!r}; it has {', '.join(model.label_sets)}."
        )
    project_ids = list(dict.fromkeys(project_ids))
    if not project_ids:
        raise AdaptRequestError("Name at least one project whose cells are the lab's.")
    missing = [p for p in project_ids if await store.get_project(p) is None]
    if missing:
        raise AdaptRequestError(f"No project with id {', '.join(missing)}.", 404)
    cells, labels = 0, []
    for project_id in project_ids:
        cells += len(await store.list_image_entries(project_id))
        labels += [c.label for c in await store.list_labels(label_set, project_id)]
    if cells < MIN_CELLS:
        raise AdaptRequestError(
            f"Adapting needs at least {MIN_CELLS} of the lab's cells; the chosen project(s) have {cells}. "
            "Upload more cells or add projects."
        )
    if options.get("head") == "lab" and (len(labels) < MIN_LABELS or len(set(labels)) < 2):
        raise AdaptRequestError(
            f"A head fitted on the lab's labels needs at least {MIN_LABELS} labelled cells of two or more classes "
            f"in {label_set!r}; the chosen project(s) have {len(labels)} of {len(set(labels))} class(es). Label "
            "more cells (the labelling queue picks the most useful ones), or choose head 'auto' or 'bundle'."
        )
    job = ModelJob(
        kind="adapt",
        params={
            "project_ids": project_ids,
            "options": {**options, "label_set": label_set},
            "base_version": model.version,
            "cells": cells,
            "labelled_cells": len(labels),
        },
        created_by=created_by,
    )
    try:
        return await store.create_model_job(job)
    except ConflictError as exc:
        raise AdaptRequestError(str(exc), 409) from None
