"""Shared fixtures: real PBC images copied into tests/fixtures (see its README for credits)."""

from __future__ import annotations

import os
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
