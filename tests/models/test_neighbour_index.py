"""`NeighbourIndex`: exact below its threshold, an HNSW graph above it, persisted alone and in bundles."""

import zipfile
from pathlib import Path

import numpy as np
import pytest

from hemosight.ml.bundle import BundleError, ModelBundle, References, read_manifest
from hemosight.ml.neighbours import NeighbourIndex, Neighbours
from hemosight.ml.preprocessing import Preprocessing

DEFAULT_BUNDLE = (
    Path(__file__).resolve().parents[2] / "models" / "hemosight" / "ml" / "default" / "hemosight-default.hsb"
)


@pytest.fixture(autouse=True)
def one_faiss_thread():
    """Graphs this small build faster on one thread than through OpenMP barriers on a busy 2-core machine."""
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    yield
    faiss.omp_set_num_threads(before)


def cells(n: int, dim: int = 128, seed: int = 0) -> np.ndarray:
    """Unit vectors in 40 clusters of unequal spread: closer to cell embeddings than uniform noise."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(99).normal(size=(40, dim))
    x = centres[rng.integers(0, 40, n)] + rng.normal(size=(n, dim)) * rng.uniform(0.3, 1.0, (n, 1))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / truth.shape[1] for f, t in zip(found, truth)]))


@pytest.mark.parametrize("storage", ["flat", "sq8"])
def test_approximate_search_agrees_with_exact(storage: str) -> None:
    refs, queries = cells(3000), cells(200, seed=1)
    index = NeighbourIndex(threshold=500, storage=storage).add(refs)  # type: ignore[arg-type]
    assert index.approximate and len(index) == 3000
    distances, found = index.kneighbors(queries)
    _, truth = Neighbours().fit(refs).kneighbors(queries)
    assert found.shape == distances.shape == (200, 10)
    assert recall(found, truth) >= 0.95
    assert np.all(np.diff(distances, axis=1) >= -1e-6)
    true_distances = np.linalg.norm(refs[found] - queries[:, None, :], axis=2)
    np.testing.assert_allclose(distances, true_distances, atol=0.02 if storage == "sq8" else 1e-4)


def test_below_the_threshold_search_is_exact() -> None:
    refs, queries = cells(800), cells(50, seed=1)
    index = NeighbourIndex(threshold=1000).add(refs[:300]).add(refs[300:])
    assert not index.approximate
    for got, want in zip(index.kneighbors(queries, 7), Neighbours().fit(refs).kneighbors(queries, 7)):
        np.testing.assert_array_equal(got, want)


def test_incremental_adds_cross_the_threshold_and_keep_insertion_order() -> None:
    refs = cells(2400)
    index = NeighbourIndex(threshold=1000)
    for start in range(0, len(refs), 300):
        index.add(refs[start : start + 300])
        assert index.approximate == (start + 300 >= 1000)
        assert len(index) == min(start + 300, len(refs))
    distances, found = index.kneighbors(refs[::97], 1)
    np.testing.assert_array_equal(found[:, 0], np.arange(0, len(refs), 97))
    assert np.all(distances < 1e-3)
    assert (
        recall(index.kneighbors(cells(100, seed=2))[1], Neighbours().fit(refs).kneighbors(cells(100, seed=2))[1])
        >= 0.95
    )


def test_the_graph_is_rebuilt_in_one_add_each_time_the_set_has_doubled(tmp_path: Path) -> None:
    refs = cells(5000)
    index = NeighbourIndex(threshold=500)
    built = []
    for start in range(0, len(refs), 250):
        index.add(refs[start : start + 250])
        built.append(index.built_size_)
    # first graph at 500 cells, then rebuilt at 1,000, 2,000 and 4,000; adds in between extend it
    assert sorted(set(built) - {0}) == [500, 1000, 2000, 4000]
    assert len(index) == 5000 and index.graph_.ntotal == 5000
    _, found = index.kneighbors(refs[::101], 1)
    np.testing.assert_array_equal(found[:, 0], np.arange(0, len(refs), 101))  # rows survive the rebuilds
    again = NeighbourIndex.load(index.save(tmp_path / "index.npz"))
    assert again.built_size_ == 4000
    again.add(cells(3000, seed=3))  # 8,000 cells: twice the last build
    assert again.built_size_ == 8000


@pytest.mark.parametrize("size", [400, 1500])
def test_save_and_load_give_identical_results_and_adds_keep_working(size: int, tmp_path: Path) -> None:
    refs, queries = cells(size + 600), cells(100, seed=1)
    index = NeighbourIndex(threshold=1000, ef_search=40).add(refs[:size])
    again = NeighbourIndex.load(index.save(tmp_path / "index.npz"))
    assert again.params() == index.params() and again.approximate == index.approximate
    for got, want in zip(again.kneighbors(queries), index.kneighbors(queries)):
        np.testing.assert_array_equal(got, want)
    again.add(refs[size:])
    assert len(again) == len(refs) and again.approximate == (len(refs) >= 1000)
    assert recall(again.kneighbors(queries)[1], Neighbours().fit(refs).kneighbors(queries)[1]) >= 0.95
    assert again.kneighbors(refs[-1:], 1)[1][0, 0] == len(refs) - 1


def test_empty_index_tells_what_to_do() -> None:
    with pytest.raises(ValueError, match="add reference cells"):
        NeighbourIndex().kneighbors(cells(1))


def synthetic_bundle(n: int) -> ModelBundle:
    """A bundle without an encoder worth the name: only the neighbour path is exercised."""
    embeddings = cells(n, dim=1280)
    references = References(
        ids=[f"ref-{i}" for i in range(n)],
        labels={"cell_type": ["neutrophil" if i % 2 else "lymphocyte" for i in range(n)]},
        embeddings=embeddings,
        coordinates=np.zeros((n, 2), np.float32),
        thumbnails=[b""] * n,
    )
    return ModelBundle(
        version="neighbours-test",
        preprocessing=Preprocessing(),
        encoder_weights=[np.zeros(3, np.float32)],
        classifiers={},
        default_label_set="cell_type",
        references=references,
    )


def test_bundle_carries_the_graph_above_the_threshold(tmp_path: Path) -> None:
    bundle = synthetic_bundle(700)
    bundle.neighbour_index = NeighbourIndex(threshold=500).add(bundle.references.embeddings)
    path = bundle.save(tmp_path / "large.hsb")
    assert "neighbours.npz" in read_manifest(path)["checksums"]
    again = ModelBundle.load(path)
    assert again.neighbour_index is not None and again.neighbour_index.approximate
    queries = cells(20, dim=1280, seed=3)
    for got, want in zip(again._neighbours().kneighbors(queries), bundle._neighbours().kneighbors(queries)):
        np.testing.assert_array_equal(got, want)


def test_tampered_graph_is_refused(tmp_path: Path) -> None:
    bundle = synthetic_bundle(600)
    bundle.neighbour_index = NeighbourIndex(threshold=500).add(bundle.references.embeddings)
    source, target = bundle.save(tmp_path / "large.hsb"), tmp_path / "tampered.hsb"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "neighbours.npz":
                data = data[:-50] + bytes([data[-50] ^ 0xFF]) + data[-49:]
            dst.writestr(item.filename, data)
    with pytest.raises(BundleError, match=r"checksum of neighbours\.npz"):
        ModelBundle.load(target)


def test_bundle_below_the_threshold_has_no_graph_and_searches_exactly(tmp_path: Path) -> None:
    bundle = synthetic_bundle(300)
    path = bundle.save(tmp_path / "small.hsb")
    assert set(read_manifest(path)["checksums"]) == {"encoder.npz", "classifiers.npz", "references.npz"}
    again = ModelBundle.load(path)
    assert again.neighbour_index is None
    embeddings = again.references.embeddings
    for got, want in zip(
        again._neighbours().kneighbors(embeddings[:5]), Neighbours().fit(embeddings).kneighbors(embeddings[:5])
    ):
        np.testing.assert_array_equal(got, want)


def test_shipped_bundle_without_the_member_gives_the_same_neighbours() -> None:
    bundle = ModelBundle.load(DEFAULT_BUNDLE)
    assert bundle.neighbour_index is None
    queries = bundle.references.embeddings[::400]
    before = Neighbours().fit(bundle.references.embeddings.astype(np.float32)).kneighbors(queries, 10)
    after = bundle._neighbours().kneighbors(queries, 10)
    assert not bundle._neighbours().approximate
    for got, want in zip(after, before):
        np.testing.assert_array_equal(got, want)
