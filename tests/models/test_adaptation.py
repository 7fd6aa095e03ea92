import numpy as np
import pytest

from hemosight.ml.adaptation import (
    BlendClassifier,
    LabStandardiser,
    NoLabLabelsError,
    PrototypeClassifier,
    fit_lab_classifier,
    nucleus_fraction,
    recentre,
    reference_images,
    replication,
    transfer_style,
    zoom,
)
from hemosight.ml.imageio import encode_jpeg
from hemosight.ml.preprocessing import ColourStyle, rgb_to_lab
from tests.models.test_shifts import disk


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def blobs(centres: np.ndarray, per_class: int, spread: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.concatenate([c + rng.normal(0, spread, (per_class, centres.shape[1])) for c in centres])
    y = np.repeat([f"c{i}" for i in range(len(centres))], per_class)
    return unit(x).astype(np.float32), y


def shifted_lab(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """References in one place; the lab's cells of the same classes moved by a lab-wide offset."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, (3, 32))
    x_ref, y_ref = blobs(centres, 200, 0.3, seed)
    x_lab, y_lab = blobs(centres + 1.2 * rng.normal(0, 1, (1, 32)) + 0.8 * rng.normal(0, 1, (3, 32)), 60, 0.3, seed + 1)
    return x_ref, y_ref, x_lab, y_lab


def test_prototype_head_classifies_separated_classes() -> None:
    x, y = blobs(np.eye(4, 16) * 3, 30, 0.2, 0)
    head = PrototypeClassifier().fit(x[::10], y[::10])
    assert (head.predict(x) == y).mean() > 0.95
    np.testing.assert_allclose(head.predict_proba(x).sum(axis=1), 1.0, rtol=1e-5)


def test_lab_labels_weighted_up_beat_foreign_references() -> None:
    x_ref, y_ref, x_lab, y_lab = shifted_lab()
    rows = np.random.default_rng(0).permutation(len(y_lab))[:9]
    rest = np.setdiff1d(np.arange(len(y_lab)), rows)
    plain = fit_lab_classifier(x_lab[rows], y_lab[rows], x_ref, y_ref, "references")
    weighted = fit_lab_classifier(x_lab[rows], y_lab[rows], x_ref, y_ref, "weighted", lab_share=0.9)
    accuracy = lambda clf: (clf.predict(x_lab[rest]) == y_lab[rest]).mean()  # noqa: E731
    assert accuracy(weighted) >= accuracy(plain)
    assert accuracy(weighted) > 0.9


@pytest.mark.parametrize("method", ["references", "lab", "weighted", "prototype", "blend", "spreading"])
def test_every_method_gives_probabilities_over_its_classes(method: str) -> None:
    x_ref, y_ref, x_lab, y_lab = shifted_lab(1)
    rows = np.arange(0, len(y_lab), 12)
    clf = fit_lab_classifier(x_lab[rows], y_lab[rows], x_ref, y_ref, method, lab_cells=x_lab)
    p = clf.predict_proba(x_lab)
    assert p.shape == (len(x_lab), len(clf.classes_))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    assert set(clf.predict(x_lab)) <= set(clf.classes_)
    if method == "blend":
        assert isinstance(clf, BlendClassifier)


def test_spreading_reaches_the_lab_clusters_from_one_label_each() -> None:
    x_ref, y_ref, x_lab, y_lab = shifted_lab(2)
    rows = np.array([np.flatnonzero(y_lab == c)[0] for c in ("c0", "c1", "c2")])
    clf = fit_lab_classifier(x_lab[rows], y_lab[rows], x_ref, y_ref, "spreading", lab_cells=x_lab)
    assert (clf.predict(x_lab) == y_lab).mean() > 0.95
    with pytest.raises(ValueError, match="lab_cells"):
        fit_lab_classifier(x_lab[rows], y_lab[rows], x_ref, y_ref, "spreading")


def test_lab_only_heads_need_two_classes_and_methods_are_named() -> None:
    x_ref, y_ref, x_lab, y_lab = shifted_lab()
    one_class = np.flatnonzero(y_lab == "c0")[:3]
    with pytest.raises(NoLabLabelsError, match="at least two"):
        fit_lab_classifier(x_lab[one_class], y_lab[one_class], None, None, "prototype")
    fallback = fit_lab_classifier(x_lab[one_class], y_lab[one_class], x_ref, y_ref, "lab")
    assert fallback.classes_ == ["c0", "c1", "c2"]  # the references carry the classes the lab has not labelled
    with pytest.raises(ValueError, match="Unknown method"):
        fit_lab_classifier(x_lab, y_lab, x_ref, y_ref, "magic")
    with pytest.raises(ValueError, match="reference embeddings"):
        fit_lab_classifier(x_lab, y_lab, None, None, "weighted")
    assert fit_lab_classifier(x_lab, y_lab).classes_ == ["c0", "c1", "c2"]  # default: the lab's labels alone


def test_replication_gives_the_lab_its_share() -> None:
    assert replication(3200, 25, 0.5) == 128
    assert replication(3200, 100, 0.9) == 288
    assert replication(10, 100, 0.5) == 1
    with pytest.raises(ValueError, match="between 0 and 1"):
        replication(3200, 25, 1.0)


def test_recentre_moves_the_lab_mean_onto_the_references() -> None:
    x_ref, _, x_lab, _ = shifted_lab()
    before = np.linalg.norm(x_lab.mean(axis=0) - x_ref.mean(axis=0))
    moved = recentre(x_lab, x_ref)
    np.testing.assert_allclose(np.linalg.norm(moved, axis=1), 1.0, rtol=1e-5)
    assert np.linalg.norm(moved.mean(axis=0) - x_ref.mean(axis=0)) < 0.5 * before


def test_nucleus_fraction_measures_the_dark_purple_area() -> None:
    image = disk(96, 20)
    assert nucleus_fraction(image) == pytest.approx(np.pi * 20**2 / 96**2, rel=0.05)
    assert nucleus_fraction(np.full((32, 32, 3), 220, np.uint8)) == 0.0


def test_nucleus_fraction_of_real_cells_is_plausible(pbc_images) -> None:
    fractions = [nucleus_fraction(im) for im in pbc_images]
    assert 0.02 < float(np.median(fractions)) < 0.4


def test_zoom_scales_the_cell_and_keeps_the_size() -> None:
    image = disk(96, 16)
    area = nucleus_fraction(image)
    assert zoom(image, 1.5).shape == image.shape
    assert nucleus_fraction(zoom(image, 1.5)) / area == pytest.approx(1.5**2, rel=0.1)
    assert nucleus_fraction(zoom(image, 0.7)) / area == pytest.approx(0.7**2, rel=0.1)
    np.testing.assert_array_equal(zoom(image, 1.0), image)


def test_standardiser_undoes_a_lab_wide_zoom_and_colour_cast(pbc_images) -> None:
    references = [im[::2, ::2] for im in pbc_images]
    warm = [np.clip(im * np.array([1.15, 1.0, 0.8]), 0, 255).astype(np.uint8) for im in references]
    lab = [zoom(im, 1.3) for im in warm]
    standardiser = LabStandardiser.estimate(lab, references)
    assert standardiser.zoom_factor == pytest.approx(1 / 1.3, rel=0.12)
    colour_only = LabStandardiser.estimate(warm, references, scale=False)
    assert colour_only.zoom_factor == 1.0
    restored = ColourStyle.of([colour_only.coloured(im) for im in warm])
    target = ColourStyle.of(references)
    np.testing.assert_allclose(restored.mean, target.mean, atol=0.03)
    assert LabStandardiser.estimate(references, references).zoom_factor == pytest.approx(1.0)


def test_transfer_style_is_one_map_for_the_whole_lab(pbc_images) -> None:
    source, target = ColourStyle.of(pbc_images[:4]), ColourStyle.of(pbc_images[4:8])
    a, b = (transfer_style(im, source, target) for im in pbc_images[:2])
    # the same affine map in lαβ for every image: differences between cells are scaled, not removed
    lab_a, lab_b = rgb_to_lab(a).reshape(-1, 3).mean(axis=0), rgb_to_lab(b).reshape(-1, 3).mean(axis=0)
    assert np.abs(lab_a - lab_b).max() > 1e-3


def test_reference_images_decodes_thumbnails_at_the_input_size(pbc_images) -> None:
    thumbnails = [encode_jpeg(im[::4, ::4]) for im in pbc_images[:5]]
    images = reference_images(thumbnails, limit=3)
    assert len(images) == 3 and all(im.shape == (56, 56, 3) for im in images)


def test_adapt_batch_norm_sets_the_statistics_of_the_lab() -> None:
    import keras

    from hemosight.ml.adaptation import adapt_batch_norm

    inputs = keras.Input((4,))
    normalised = keras.layers.BatchNormalization(momentum=0.9)(keras.layers.Dense(3, name="dense")(inputs))
    model = keras.Model(inputs, keras.layers.Dropout(0.5)(normalised))
    model.layers[2].trainable = False  # frozen, as the encoder's are
    data = np.random.default_rng(0).normal(2.0, 3.0, (200, 4)).astype(np.float32)
    features = np.asarray(model.get_layer("dense")(data))
    before = model.get_weights()
    assert adapt_batch_norm(model, data, batch_size=50) == 1
    layer = model.layers[2]
    np.testing.assert_allclose(np.asarray(layer.moving_mean), features.mean(axis=0), rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(np.asarray(layer.moving_variance), features.var(axis=0), rtol=0.05)
    assert layer.trainable is False and layer.momentum == 0.9
    kernel = model.get_layer("dense").get_weights()[0]
    np.testing.assert_array_equal(kernel, before[0])  # only the statistics move
    adapt_batch_norm(model, data + 10.0, batch_size=50, blend=0.5)
    shifted = np.asarray(model.get_layer("dense")(data + 10.0)).mean(axis=0)
    np.testing.assert_allclose(
        np.asarray(layer.moving_mean), 0.5 * shifted + 0.5 * features.mean(axis=0), rtol=1e-3, atol=1e-3
    )


def test_finetune_encoder_moves_the_weights_on_lab_cells(tmp_path, pbc_images) -> None:
    from hemosight.ml.adaptation import finetune_encoder
    from hemosight.ml.encoder import build_encoder
    from hemosight.ml.preprocessing import resize

    start = build_encoder(32, architecture="EfficientNet-Lite0").get_weights()  # compiles far faster than V2-B0
    prepared = np.stack([resize(im, 32) for im in pbc_images])
    weights = finetune_encoder(
        start,
        "EfficientNet-Lite0",
        prepared[:16],
        prepared[16:24],
        tmp_path / "ft",
        steps=2,
        batch_images=8,
        learning_rate=1e-3,
    )
    assert [w.shape for w in weights] == [w.shape for w in start]
    assert any(not np.allclose(a, b, atol=1e-5) for a, b in zip(weights, start, strict=True))
    assert (tmp_path / "ft" / "history.jsonl").read_text().count("\n") >= 2  # whole epochs, at least `steps`
