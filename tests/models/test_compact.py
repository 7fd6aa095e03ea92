"""Compact embedding storage: close to the original, idempotent, and row by row."""

import numpy as np

from hemosight.ml.compact import decode_rows, encode_rows, round_rows


def unit_rows(n: int, d: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_rounded_rows_stay_close_to_the_originals() -> None:
    x = unit_rows(200, 1280)
    codes, exponent = encode_rows(x)
    assert codes.dtype == np.int8 and exponent.dtype == np.int8
    y = decode_rows(codes, exponent)
    cosine = np.sum(x * y, axis=1) / np.linalg.norm(y, axis=1)
    assert cosine.min() > 0.999


def test_rounding_is_idempotent_bit_for_bit() -> None:
    once = round_rows(unit_rows(50, 64) * 3.7)
    np.testing.assert_array_equal(round_rows(once), once)


def test_a_row_is_rounded_the_same_whatever_rows_surround_it() -> None:
    x = unit_rows(30, 32)
    np.testing.assert_array_equal(round_rows(x)[5:10], round_rows(x[5:10]))


def test_zero_rows_stay_zero() -> None:
    np.testing.assert_array_equal(round_rows(np.zeros((2, 8), np.float32)), 0.0)


def test_reference_cells_in_the_support_set_are_stored_once(small_bundle_path, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import io
    import zipfile

    from hemosight.ml.bundle import ModelBundle

    bundle = ModelBundle.load(small_bundle_path)
    assert bundle.support is not None and set(bundle.references.ids) <= set(bundle.support.ids)
    saved = bundle.save(tmp_path / "again.hsb")
    with zipfile.ZipFile(saved) as archive:
        stored = np.load(io.BytesIO(archive.read("references.npz")))
        assert "embedding_rows" in stored.files and "embeddings" not in stored.files
    again = ModelBundle.load(saved)
    rows = [again.support.ids.index(cell) for cell in again.references.ids]  # type: ignore[union-attr]
    np.testing.assert_array_equal(again.references.embeddings, again.support.embeddings[rows])  # type: ignore[union-attr]
    cosine = np.sum(again.references.embeddings * bundle.references.embeddings, axis=1) / (
        np.linalg.norm(again.references.embeddings, axis=1) * np.linalg.norm(bundle.references.embeddings, axis=1)
    )
    assert cosine.min() > 0.999
