"""Real model bundles (untrained 32 px encoder, real classifiers) and embedded stores for the deployment tests."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two versions of a small real bundle with different metrics: v1 (older) and v2 (better)."""
    from hemosight.ml.builder import small_bundle
    from hemosight.ml.bundle import ModelBundle
    from hemosight.ml.imageio import decode_image

    root = FIXTURES / "pbc"
    with open(root / "labels.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    images = [decode_image((root / r["path"]).read_bytes()) for r in rows]
    label_sets = {"cell_type": [r["cell_type"] for r in rows]}
    folder = tmp_path_factory.mktemp("registry-bundles")
    v1 = small_bundle(images, label_sets, [Path(r["path"]).stem for r in rows], version="v1")
    v1.metrics = {"held_out": {"cell_type": {"macro_f1": 0.81}}, "training": {"epochs": 1}}
    paths = {"v1": v1.save(folder / "v1.hsb")}
    v2 = dataclasses.replace(
        ModelBundle.load(paths["v1"]), version="v2", metrics={"held_out": {"cell_type": {"macro_f1": 0.93}}}
    )
    paths["v2"] = v2.save(folder / "v2.hsb")
    return paths
