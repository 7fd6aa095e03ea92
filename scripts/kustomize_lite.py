"""Render the kustomize subset that k8s/ uses, for checks on machines without kustomize.

Debian's kubectl (1.20) embeds a kustomize too old for `labels` and `patches`, and no
maintained kustomize ships on PyPI or npm, so the manifest tests render the overlays with
this file. When a real `kubectl kustomize` is on the PATH, tests/deploy checks that both
render the same documents. Supported, and nothing else (anything unknown is refused):

- ``resources``: YAML files and directories holding a kustomization.yaml;
- ``namespace``: set on every namespaced object;
- ``labels`` with ``pairs`` only: added to ``metadata.labels`` (not selectors or templates);
- ``images`` with ``name`` and ``newName``/``newTag``: container and init-container images;
- ``patches`` with ``path`` only: a strategic-merge patch found by its kind and name, where
  maps merge, lists of maps with a ``name`` merge by name (new items first), other lists are replaced.

    python -m scripts.kustomize_lite k8s/overlays/gpu > rendered.yaml
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import yaml

SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "labels", "images", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass"}
POD_TEMPLATE_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"}


class KustomizeError(ValueError):
    """The kustomization uses something this renderer does not support, or is broken."""


def render(directory: Path) -> list[dict[str, Any]]:
    """The objects `kustomize build DIRECTORY` would output (order aside)."""
    directory = Path(directory)
    path = directory / "kustomization.yaml"
    if not path.is_file():
        raise KustomizeError(f"{directory} has no kustomization.yaml.")
    spec = yaml.safe_load(path.read_text()) or {}
    unknown = set(spec) - SUPPORTED
    if unknown:
        raise KustomizeError(f"{path}: unsupported fields {sorted(unknown)}; use real kustomize.")
    objects: list[dict[str, Any]] = []
    for entry in spec.get("resources", []):
        target = directory / entry
        objects.extend(render(target) if target.is_dir() else _load(target))
    for patch in spec.get("patches", []):
        if set(patch) != {"path"}:
            raise KustomizeError(f"{path}: only patches with a path (strategic merge) are supported.")
        for document in _load(directory / patch["path"]):
            _apply_patch(objects, document, directory / patch["path"])
    for group in spec.get("labels", []):
        if set(group) != {"pairs"}:
            raise KustomizeError(f"{path}: labels support only 'pairs'.")
        for obj in objects:
            obj.setdefault("metadata", {}).setdefault("labels", {}).update(group["pairs"])
    if "namespace" in spec:
        for obj in objects:
            if obj.get("kind") not in CLUSTER_SCOPED:
                obj.setdefault("metadata", {})["namespace"] = spec["namespace"]
    for image in spec.get("images", []):
        _set_image(objects, image)
    return objects


def _load(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise KustomizeError(f"{path} does not exist.")
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _apply_patch(objects: list[dict[str, Any]], patch: dict[str, Any], source: Path) -> None:
    kind, name = patch.get("kind"), patch.get("metadata", {}).get("name")
    matches = [o for o in objects if o.get("kind") == kind and o.get("metadata", {}).get("name") == name]
    if len(matches) != 1:
        raise KustomizeError(f"{source}: the patch for {kind}/{name} matches {len(matches)} objects, not 1.")
    merged = merge(matches[0], patch)
    matches[0].clear()
    matches[0].update(merged)


def merge(base: Any, patch: Any) -> Any:
    """Strategic merge, restricted to the rules described in the module docstring."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = copy.deepcopy(base)
        for key, value in patch.items():
            out[key] = merge(base[key], value) if key in base else copy.deepcopy(value)
        return out
    if isinstance(base, list) and isinstance(patch, list) and _named(base) and _named(patch):
        # Like kubectl's strategic merge: items new in the patch come first, merged ones stay in place.
        merged = copy.deepcopy(base)
        index = {item["name"]: i for i, item in enumerate(merged)}
        added = []
        for item in patch:
            if item["name"] in index:
                merged[index[item["name"]]] = merge(merged[index[item["name"]]], item)
            else:
                added.append(copy.deepcopy(item))
        return added + merged
    return copy.deepcopy(patch)


def _named(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(i, dict) and "name" in i for i in items)


def _set_image(objects: list[dict[str, Any]], image: dict[str, str]) -> None:
    for obj in objects:
        if obj.get("kind") not in POD_TEMPLATE_KINDS:
            continue
        pod = obj.get("spec", {}).get("template", {}).get("spec", {})
        for container in pod.get("containers", []) + pod.get("initContainers", []):
            name, tag = container["image"], ""
            if ":" in name.rsplit("/", 1)[-1]:  # a tag, not a registry port
                name, tag = name.rsplit(":", 1)
            if name != image["name"]:
                continue
            container["image"] = f"{image.get('newName', name)}:{image.get('newTag', tag or 'latest')}"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m scripts.kustomize_lite DIRECTORY", file=sys.stderr)
        return 2
    yaml.safe_dump_all(render(Path(args[0])), sys.stdout, sort_keys=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
