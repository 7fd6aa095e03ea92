"""Registering model bundles in the store, from their verified manifest (no TensorFlow, no weights loaded).

`register_bundle` is shared by the CLI (`hemosight models add|upload|activate|rollback`),
the admin API and `serve`. With `upload` the bundle's bytes are copied into the store
(backend/hemosight/core/model_files.py), so workers on other machines can load it; without, the
registered path must be readable by every worker. Activating a version wakes the workers,
which load it before their next batch: no restart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hemosight.core.store.base import ModelVersion, Store
from hemosight.ml.errors import HemosightError

#: Metric groups that describe how a model was trained, not how well it does: left out of comparisons.
NOT_COMPARED = ("training", "split")


class ModelRegistrationError(HemosightError, ValueError):
    """The bundle cannot be registered or activated; the message says why."""


def describe_bundle(path: Path) -> ModelVersion:
    from hemosight.ml.bundle import BundleError, bundle_checksum, read_manifest

    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise ModelRegistrationError(f"Model bundle {path} does not exist.")
    try:
        manifest = read_manifest(path)
    except BundleError as exc:
        raise ModelRegistrationError(str(exc)) from None
    return ModelVersion(
        version=manifest["version"],
        path=str(path),
        checksum=bundle_checksum(path),
        default_label_set=manifest["default_label_set"],
        label_sets=manifest["label_sets"],
        metrics=manifest.get("metrics", {}),
        created=manifest.get("created", ""),
        reference_count=int(manifest.get("reference_count", 0)),
    )


async def register_bundle(
    store: Store, path: Path, activate: bool = False, upload: bool = False, registered_by: str = ""
) -> ModelVersion:
    """Add (or refresh) a bundle; `upload` keeps a copy in the store; `activate` switches the workers to it."""
    from hemosight.core.model_files import save_bundle

    model = describe_bundle(path)
    model.registered_by = registered_by
    existing = await store.get_model_version(model.version)
    if existing is not None and existing.checksum != model.checksum and existing.active:
        raise ModelRegistrationError(
            f"Version {model.version} is active with other contents; give the new bundle another version name "
            "(hemosight train --version NAME) instead of replacing the model the workers use."
        )
    if upload:
        model.path = await save_bundle(store, Path(model.path), model.checksum)
    model = await store.register_model_version(model)
    if activate:
        return await activate_version(store, model.version)
    return model


def lab_projects(model: ModelVersion | None) -> list[str]:
    """The projects a version was adapted to ("Adapt to this lab"); none for other versions."""
    if model is None:
        return []
    adaptation = model.metrics.get("adaptation")
    return list(adaptation.get("project_ids", [])) if isinstance(adaptation, dict) else []


async def activate_version(store: Store, version: str) -> ModelVersion:
    """Make `version` the workers' model; the projects a lab adapted it (or the version it replaces) to are re-scored.

    A version adapted to a lab reads that lab's cells differently from the version before it, so
    their results are queued again with the newly active model (each old result stays visible
    until its new one arrives); switching back re-scores them too. Other projects keep their results
    until someone re-scores them.
    """
    previous = await store.active_model_version()
    if not await store.activate_model_version(version):
        raise ModelRegistrationError(f"No model version {version!r}; see 'hemosight models list'.")
    model = await store.get_model_version(version)
    assert model is not None
    if previous is None or previous.version != version:
        for project_id in dict.fromkeys([*lab_projects(model), *lab_projects(previous)]):
            await store.requeue_project(project_id)
    return model


async def rollback(store: Store) -> ModelVersion:
    """Re-activate the version that was active before the current one (the latest activated other version)."""
    versions = await store.list_model_versions()
    active = next((m for m in versions if m.active), None)
    earlier = [m for m in versions if not m.active and m.activated_at is not None]
    if active is not None and active.activated_at is not None:
        earlier = [m for m in earlier if m.activated_at is not None and m.activated_at <= active.activated_at]
    if not earlier:
        raise ModelRegistrationError(
            "There is no previously active model version to roll back to; activate one by name instead."
        )
    previous = max(earlier, key=lambda m: m.activated_at or m.registered_at)
    return await activate_version(store, previous.version)


def comparable_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """Numeric metrics as flat dotted names (``held_out.cell_type.macro_f1``), for side-by-side comparison."""
    flat: dict[str, float] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[prefix] = float(value)

    for key, value in metrics.items():
        if key not in NOT_COMPARED:
            walk(str(key), value)
    return flat


def headline_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """The few numbers an admin compares first: macro F1 and accuracy figures (means of folds, not each fold)."""
    return {
        name: value
        for name, value in comparable_metrics(metrics).items()
        if any(word in name.rsplit(".", 1)[-1] for word in ("f1", "accuracy", "mean"))
        and ".folds" not in name
        and ".per_class" not in name
    }
