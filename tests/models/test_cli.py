"""The `hemosight` command line end to end on real PBC crops and analyzer originals."""

import csv
import json
from pathlib import Path

import pytest

from hemosight.cli import main
from hemosight.ml.bundle import ModelBundle
from tests.conftest import ORIGINALS, PBC_LABELS


@pytest.fixture(scope="module")
def trained_bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("train") / "tiny.hsb"
    code = main(
        [
            "train",
            "--data",
            str(PBC_LABELS),
            "--out",
            str(out),
            "--objective",
            "ssl+labels",
            "--input-size",
            "32",
            "--epochs",
            "1",
            "--batch-images",
            "16",
            "--learning-rate",
            "1e-3",
            "--references-per-class",
            "3",
        ]
    )
    assert code == 0
    return out


def test_train_writes_a_bundle_with_every_label_set(trained_bundle: Path) -> None:
    bundle = ModelBundle.load(trained_bundle)
    assert bundle.default_label_set == "cell_type"
    assert len(bundle.label_sets["cell_type"]) == 8
    assert "granule_type" in bundle.label_sets  # attribute label sets share the embedding
    assert len(bundle.references) == 24  # 3 per class
    assert bundle.metrics["objective"] == "ssl+labels"


def test_classify_originals_json(trained_bundle: Path, capsys) -> None:
    files = sorted(ORIGINALS.glob("*.jpg"))[:4]
    assert main(["classify", "--model", str(trained_bundle), *map(str, files)]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["file"] for r in records] == [str(f) for f in files]
    for record in records:
        assert record["label"] == record["labels"]["cell_type"]
        assert record["label"] in record["probabilities"]["cell_type"]
        assert sum(record["probabilities"]["cell_type"].values()) == pytest.approx(1.0, abs=1e-4)


def test_classify_csv_reports_unreadable_file(trained_bundle: Path, tmp_path: Path, capsys) -> None:
    bad = tmp_path / "notes.jpg"
    bad.write_text("not an image")
    good = next(ORIGINALS.glob("*.jpg"))
    assert main(["classify", "--model", str(trained_bundle), "--format", "csv", str(good), str(bad)]) == 1
    rows = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    assert rows[0]["label"] and not rows[0]["error"]
    assert "text, not an image" in rows[1]["error"]


def test_evaluate_json_and_plot(trained_bundle: Path, tmp_path: Path, capsys) -> None:
    code = main(
        [
            "evaluate",
            "--model",
            str(trained_bundle),
            "--data",
            str(ORIGINALS / "labels.csv"),
            "--label-set",
            "cell_type",
            "--format",
            "json",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 40
    assert 0.0 <= report["macro_f1"] <= 1.0
    assert sum(map(sum, report["confusion_matrix"])) == 40
    assert (tmp_path / "confusion-cell_type.png").stat().st_size > 1000


def test_missing_model_is_a_clear_error(tmp_path: Path, capsys) -> None:
    assert main(["classify", "--model", str(tmp_path / "none.hsb"), str(next(ORIGINALS.glob("*.jpg")))]) == 2
    assert "not found" in capsys.readouterr().err


def test_unknown_label_set_is_a_clear_error(trained_bundle: Path, capsys) -> None:
    code = main(["evaluate", "--model", str(trained_bundle), "--data", str(PBC_LABELS), "--label-set", "shoe_size"])
    assert code == 2
    assert "no column 'shoe_size'" in capsys.readouterr().err


def test_supervised_baseline_trains_and_is_scored_beside_the_bundle(
    trained_bundle: Path, tmp_path: Path, capsys
) -> None:
    baseline = tmp_path / "baseline.keras"
    code = main(
        [
            "train-baseline",
            "--data",
            str(PBC_LABELS),
            "--out",
            str(baseline),
            "--input-size",
            "32",
            # No head-only stage: each stage compiles a training step for the whole network (~1.5 min on a loaded
            # 2-core machine); fine-tuning alone trains every layer, which is what this test needs to score it.
            "--head-epochs",
            "0",
            "--finetune-epochs",
            "1",
            "--finetune-learning-rate",
            "1e-3",
            "--batch-size",
            "16",
        ]
    )
    assert code == 0 and baseline.is_file()
    capsys.readouterr()
    code = main(
        [
            "evaluate",
            "--model",
            str(trained_bundle),
            "--data",
            str(ORIGINALS / "labels.csv"),
            "--baseline",
            str(baseline),
            "--format",
            "json",
        ]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["baseline"]["n"] == 40
    assert set(report["baseline"]["classes"]) == set(report["classes"])
    assert 0.0 <= report["baseline"]["macro_f1"] <= 1.0
