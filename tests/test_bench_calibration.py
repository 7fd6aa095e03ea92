"""benchmarks/bench_calibration.py: a trial run (--no-results) measures and prints, and writes no committed figure."""

from __future__ import annotations

from pathlib import Path

from benchmarks import bench_calibration

RESULTS = Path(bench_calibration.__file__).parent / "results"
COMMITTED = [RESULTS / "calibration.json", RESULTS / "calibration-reliability.png", RESULTS.parent / "RESULTS.md"]


def test_a_trial_run_leaves_the_committed_results_as_they_are(small_bundle_path: Path) -> None:
    before = {path: path.read_bytes() for path in COMMITTED}
    pbc = Path(__file__).parent / "fixtures" / "pbc"
    summary = bench_calibration.main(["--bundle", str(small_bundle_path), "--pbc", str(pbc), "--no-results"])
    assert summary["label_sets"], "measured at least one label set"
    assert all(0.0 <= row["ece"] <= 1.0 for row in summary["label_sets"].values())
    for path, content in before.items():
        assert path.read_bytes() == content, f"{path.name} was rewritten by a --no-results run"
