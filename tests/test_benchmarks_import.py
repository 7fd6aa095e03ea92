"""Every benchmark and script module imports: they run rarely and outside the suite, so a rename in the
packages would otherwise break them unnoticed (bench_reliability and bench_new_lab_finetune once did)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MODULES = sorted(
    f"{folder}.{path.stem}"
    for folder in ("benchmarks", "scripts")
    for path in (REPO / folder).glob("*.py")
    if path.stem != "__init__"
)


@pytest.mark.parametrize("module", MODULES)
def test_module_imports(module: str) -> None:
    imported = importlib.import_module(module)
    assert imported.__doc__, f"{module} says what it is for in a docstring"
