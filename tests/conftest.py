"""Shared fixtures: real PBC images copied into tests/fixtures (see its README for credits)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

FIXTURES = Path(__file__).parent / "fixtures"
PBC_LABELS = FIXTURES / "pbc" / "labels.csv"
ORIGINALS = FIXTURES / "originals"


@pytest.fixture(scope="session")
def pbc_table():
    from hemosight.ml.data import read_label_table

    return read_label_table(PBC_LABELS)


@pytest.fixture(scope="session")
def pbc_images(pbc_table) -> list[np.ndarray]:
    from hemosight.ml.imageio import decode_image

    return [decode_image(p.read_bytes()) for p in pbc_table.paths]


@pytest.fixture(scope="session", autouse=True)
def shared_encoder_graphs() -> Iterator[None]:
    """Bundles loaded with the same encoder weights share one built encoder and its traced graph function.

    Why: building the Keras encoder and tracing its graph costs 25-30 s per load on a loaded 2-core machine, and
    the tests load the same session bundles once per Worker or command (a few dozen times). The encoder computed
    is the same: same weights, same graph; no test changes a bundle's encoder weights. Bundles, classifiers and
    stores stay separate per test.
    """
    from hemosight.ml.bundle import ModelBundle

    build = ModelBundle._encoder
    built: dict[tuple[object, ...], tuple[object, object]] = {}

    def shared(bundle: ModelBundle):  # type: ignore[no-untyped-def]
        if not hasattr(bundle, "_model"):
            digest = hashlib.sha256(b"".join(w.tobytes() for w in bundle.encoder_weights)).hexdigest()
            key = (bundle.architecture, bundle.preprocessing.input_size, bundle.dropout, digest)
            if key not in built:
                build(bundle)
                built[key] = (bundle._model, bundle._infer)
            bundle._model, bundle._infer = built[key]
        return bundle._infer

    patch = pytest.MonkeyPatch()
    patch.setattr(ModelBundle, "_encoder", shared)
    yield
    patch.undo()


@pytest.fixture(scope="session")
def small_bundle_path(tmp_path_factory, pbc_table, pbc_images) -> Path:
    """A real bundle (untrained encoder at 32 px, classifiers on the fixture labels), built once."""
    from hemosight.ml.builder import small_bundle

    bundle = small_bundle(pbc_images, pbc_table.label_sets, [p.name for p in pbc_table.paths])
    return bundle.save(tmp_path_factory.mktemp("bundle") / "small.hsb")


# subprocesses of the tests import the checkout too (the `hemosight` namespace lives in four folders)
def _import_roots() -> None:
    import os
    from pathlib import Path

    roots = [str(Path(__file__).resolve().parents[1] / home) for home in (".", "models", "backend", "worker")]
    os.environ["PYTHONPATH"] = os.pathsep.join([*roots, *filter(None, [os.environ.get("PYTHONPATH")])])


_import_roots()
