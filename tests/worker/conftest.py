"""Real model bundles for the worker tests, built once per session from the PBC fixture crops.

`small_bundle` trains nothing (an untrained encoder at 32 px), but every other part is
real: classifiers per label set, neighbours, the t-SNE landscape, thumbnails.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hemosight.core.settings import Settings
from hemosight.core.store.sqlite import SQLiteStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LABEL_SETS = ("cell_type", "cell_size")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def bundle_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hemosight.ml.builder import small_bundle
    from hemosight.ml.imageio import decode_image

    root = FIXTURES / "pbc"
    with open(root / "labels.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    images = [decode_image((root / r["path"]).read_bytes()) for r in rows]
    label_sets = {name: [r[name] for r in rows] for name in LABEL_SETS}
    bundle = small_bundle(images, label_sets, [Path(r["path"]).stem for r in rows], version="test-0")
    return bundle.save(tmp_path_factory.mktemp("bundles") / "test-0.hsb")


@pytest.fixture(scope="session")
def second_bundle_path(bundle_path: Path) -> Path:
    """The same weights under another version name: enough to see which model wrote a result."""
    from hemosight.ml.bundle import ModelBundle

    bundle = dataclasses.replace(ModelBundle.load(bundle_path), version="test-1")
    return bundle.save(bundle_path.with_name("test-1.hsb"))


@pytest.fixture
def originals() -> list[Path]:
    return sorted((FIXTURES / "originals").glob("*.jpg"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", secret_key="w" * 40, frontend_dist=tmp_path / "no-frontend")


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[SQLiteStore]:
    opened = SQLiteStore(settings.resolved_data_dir)
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()
