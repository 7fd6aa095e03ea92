"""Registering model bundles in the store, from their verified manifest (no TensorFlow, no weights loaded)."""

from __future__ import annotations

from pathlib import Path

from backend.store.base import ModelVersion, Store


class ModelRegistrationError(ValueError):
    """The bundle cannot be registered; the message says why."""


def describe_bundle(path: Path) -> ModelVersion:
    from models.bundle import BundleError, bundle_checksum, read_manifest

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


async def register_bundle(store: Store, path: Path, activate: bool = False) -> ModelVersion:
    """Add (or refresh) a bundle; with `activate` the workers switch to it without restarting."""
    model = await store.register_model_version(describe_bundle(path))
    if activate:
        await store.activate_model_version(model.version)
        model.active = True
    return model
