import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from hemosight.ml.bundle import FORMAT_VERSION, BundleError, ModelBundle, read_manifest
from hemosight.ml.imageio import decode_image
from tests.conftest import ORIGINALS


def test_round_trip_preserves_classifiers_and_references(small_bundle_path: Path, pbc_images) -> None:
    bundle = ModelBundle.load(small_bundle_path)
    again = ModelBundle.load(bundle.save(small_bundle_path.parent / "copy.hsb"))
    assert again.version == bundle.version and again.label_sets == bundle.label_sets
    x = bundle.references.embeddings[:5]
    for name in bundle.classifiers:
        np.testing.assert_array_equal(
            again.classifiers[name].predict_proba(x), bundle.classifiers[name].predict_proba(x)
        )
    assert again.references.thumbnails == bundle.references.thumbnails
    assert again.reference_thumbnail(bundle.references.ids[3])[:2] == b"\xff\xd8"  # JPEG


def test_manifest_describes_the_model(small_bundle_path: Path) -> None:
    manifest = read_manifest(small_bundle_path)
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["default_label_set"] == "cell_type"
    assert "neutrophil" in manifest["label_sets"]["cell_type"]
    assert any("CC BY 4.0" in c for c in manifest["credits"])
    assert set(manifest["checksums"]) == {"encoder.npz", "classifiers.npz", "references.npz", "support.npz"}


def test_analyse_gives_labels_neighbours_and_landscape(small_bundle_path: Path) -> None:
    bundle = ModelBundle.load(small_bundle_path)
    images = [decode_image(p.read_bytes()) for p in sorted(ORIGINALS.glob("*.jpg"))[:3]]
    results = bundle.analyse(images, k=4)
    assert len(results) == 3
    for result in results:
        assert set(result.labels) == set(bundle.classifiers)
        probs = result.probabilities["cell_type"]
        assert result.labels["cell_type"] == max(probs, key=probs.get)
        assert sum(probs.values()) == pytest.approx(1.0, abs=1e-4)
        assert len(result.neighbours) == 4
        assert [n.distance for n in result.neighbours] == sorted(n.distance for n in result.neighbours)
        assert all(np.isfinite(result.landscape))
        assert result.embedding.shape == (1280,)
        assert np.linalg.norm(result.embedding) == pytest.approx(1.0, abs=1e-3)


def test_truncated_bundle_is_refused(small_bundle_path: Path, tmp_path: Path) -> None:
    data = small_bundle_path.read_bytes()
    broken = tmp_path / "broken.hsb"
    broken.write_bytes(data[: len(data) // 3])
    with pytest.raises(BundleError, match="truncated"):
        ModelBundle.load(broken)


def rewrite(source: Path, target: Path, change) -> None:
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for item in src.infolist():
            dst.writestr(item.filename, change(item.filename, src.read(item.filename)))


def test_tampered_member_is_refused(small_bundle_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "tampered.hsb"

    def flip_byte(name: str, data: bytes) -> bytes:
        if name != "classifiers.npz":
            return data
        return data[:100] + bytes([data[100] ^ 0xFF]) + data[101:]

    rewrite(small_bundle_path, target, flip_byte)
    with pytest.raises(BundleError, match="checksum"):
        ModelBundle.load(target)


def test_future_format_version_is_refused(small_bundle_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "future.hsb"

    def bump(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["format_version"] = FORMAT_VERSION + 1
        return json.dumps(manifest).encode()

    rewrite(small_bundle_path, target, bump)
    with pytest.raises(BundleError, match="Upgrade HemoSight"):
        ModelBundle.load(target)


def test_not_a_bundle_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "x.hsb").write_text("hello")
    with pytest.raises(BundleError):
        ModelBundle.load(tmp_path / "x.hsb")
    with pytest.raises(BundleError, match="does not exist"):
        ModelBundle.load(tmp_path / "missing.hsb")


def test_save_is_atomic_and_leaves_no_temporary_files(small_bundle_path: Path, tmp_path: Path) -> None:
    bundle = ModelBundle.load(small_bundle_path)
    target = tmp_path / "out" / "model.hsb"
    bundle.save(target)
    bundle.save(target)  # overwrite in place
    assert sorted(p.name for p in target.parent.iterdir()) == ["model.hsb"]
    assert ModelBundle.load(target).version == bundle.version
