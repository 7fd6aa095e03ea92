"""Explanations end to end: a reviewer asks through the API → a worker computes the GradCAM++ heatmap with the
(small, real) bundle's Keras encoder → the API serves the cached PNG; and the heatmap functions themselves."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from hemosight.api.main import create_app
from hemosight.core.accounts import create_user
from hemosight.core.model_registry import register_bundle
from hemosight.core.settings import Settings
from hemosight.ml.bundle import ModelBundle
from hemosight.ml.explain import (
    GRADCAM,
    gradcam_plus_plus,
    heatmap_layer_png,
    occlusion_map,
    target_embedding,
)
from hemosight.ml.imageio import decode_image
from hemosight.ml.preprocessing import Preprocessing, analysed_square
from hemosight.worker.runner import Worker, WorkerConfig


@pytest.fixture
def case(settings: Settings, originals: list[Path], bundle_path: Path) -> Iterator[dict[str, Any]]:
    with TestClient(create_app(settings)) as client:
        store = client.app.state.store  # type: ignore[attr-defined]
        client.portal.call(register_bundle, store, bundle_path, True)  # type: ignore[union-attr]
        client.portal.call(create_user, store, "rev", "correct horse", "pathologist")  # type: ignore[union-attr]
        token = client.post("/api/v1/auth/login", data={"username": "rev", "password": "correct horse"})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}

        def call(method: str, path: str, **kw: Any) -> Any:
            return client.request(method, f"/api/v1/{path}", headers=headers, **kw)

        project = call("POST", "projects", json={"name": "Smear 8"}).json()["id"]
        files = [("files", (p.name, p.read_bytes(), "image/jpeg")) for p in originals[:3]]
        call("POST", f"projects/{project}/images", files=files)
        worker = Worker(store, WorkerConfig(batch_size=8))
        client.portal.call(worker.run_until_idle)  # type: ignore[union-attr]
        yield {
            "call": call,
            "project": project,
            "store": store,
            "portal": client.portal,
            "work": lambda: client.portal.call(worker.run_until_idle),  # type: ignore[union-attr]
            "bundle": ModelBundle.load(bundle_path),
        }


def test_a_requested_explanation_is_computed_by_the_worker_and_served_as_png(case: dict[str, Any]) -> None:
    call = case["call"]
    cell = call("GET", f"projects/{case['project']}/images").json()[0]
    cell_detail = call("GET", f"images/{cell['id']}").json()
    queued = call("POST", f"images/{cell['id']}/explanation")
    assert queued.status_code == 202 and queued.json()["status"] == "pending"
    assert call("GET", f"images/{cell['id']}/explanation").status_code == 202
    case["work"]()  # counts classified cells only; the explanation shows below
    served = call("GET", f"images/{cell['id']}/explanation")
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert served.headers["x-explanation-method"] == GRADCAM
    layer = Image.open(io.BytesIO(served.content))
    assert layer.size == (cell_detail["width"], cell_detail["height"]) and layer.mode == "RGBA"  # lies over the cell
    # the square the encoder saw, which the layer colours, is told with the cell (the viewer's reference scale)
    top, left, side = analysed_square(cell_detail["height"], cell_detail["width"], case["bundle"].preprocessing)
    assert cell_detail["field_of_view"] == {"top": top, "left": left, "side": side}
    alpha = np.asarray(layer)[..., 3]
    assert alpha[top + side // 2, left + side // 2] > 0 and alpha[: max(top, 0)].max(initial=0) == 0
    reused = call("POST", f"images/{cell['id']}/explanation")
    assert reused.status_code == 200 and reused.json()["status"] == "done" and reused.json()["method"] == GRADCAM
    assert reused.json()["image_url"].endswith(f"/images/{cell['id']}/explanation")


def test_an_opaque_overlay_of_an_earlier_release_is_computed_again(case: dict[str, Any]) -> None:
    """Earlier releases stored the heatmap blended into the cell (RGB, 256 px), which does not line up with the
    cell view's image: asking again queues a new layer instead of reusing it."""
    call, portal, store = case["call"], case["portal"], case["store"]
    cell = call("GET", f"projects/{case['project']}/images").json()[2]
    assert call("POST", f"images/{cell['id']}/explanation").status_code == 202
    claimed = portal.call(store.claim_explanation, "old-worker", 60.0, 3)
    assert claimed is not None and claimed.image_id == cell["id"]
    old = io.BytesIO()
    Image.new("RGB", (256, 256), (68, 1, 84)).save(old, format="PNG")
    assert portal.call(store.finish_explanation, "old-worker", cell["id"], old.getvalue(), GRADCAM, None)
    again = call("POST", f"images/{cell['id']}/explanation")
    assert again.status_code == 202 and again.json()["status"] == "pending"
    case["work"]()
    layer = Image.open(io.BytesIO(call("GET", f"images/{cell['id']}/explanation").content))
    assert layer.mode == "RGBA"


def test_a_cell_of_another_model_fails_with_words_and_can_be_asked_again(
    case: dict[str, Any], second_bundle_path: Path
) -> None:
    call, portal, store = case["call"], case["portal"], case["store"]
    cell = call("GET", f"projects/{case['project']}/images").json()[1]
    assert call("POST", f"images/{cell['id']}/explanation").status_code == 202
    portal.call(register_bundle, store, second_bundle_path, True)  # the workers now run test-1
    case["work"]()
    failed = call("GET", f"images/{cell['id']}/explanation")
    assert failed.status_code == 409 and "re-score the case" in failed.json()["detail"]
    again = call("POST", f"images/{cell['id']}/explanation")
    assert again.status_code == 202 and again.json()["status"] == "pending" and again.json()["error"] is None


def test_gradcam_plus_plus_and_occlusion_maps_are_normalised_heatmaps(bundle_path: Path, originals: list[Path]) -> None:
    bundle = ModelBundle.load(bundle_path)
    image = decode_image(originals[0].read_bytes())
    prepared = bundle.preprocessing.prepare(image)
    predicted = bundle.analyse([image], landscape=False)[0]
    target = target_embedding(
        bundle, predicted.labels[bundle.default_label_set], [n.reference_id for n in predicted.neighbours]
    )
    assert np.linalg.norm(target) == pytest.approx(1.0, abs=1e-5)
    size = bundle.preprocessing.input_size
    for heatmap in (gradcam_plus_plus(bundle, prepared, target), occlusion_map(bundle, prepared, target, grid=4)):
        assert heatmap.shape == (size, size) and heatmap.min() >= 0.0 and heatmap.max() <= 1.0
    occlusion = occlusion_map(bundle, prepared, target, grid=4)
    # normalised before upsampling: the patch that matters most is near 1, the least near 0 (not a flat map)
    assert occlusion.max() > 0.8 and occlusion.min() < 0.2
    with pytest.raises(ValueError, match="no reference cell of class"):
        target_embedding(bundle, "no-such-class", [])
    layer = Image.open(io.BytesIO(heatmap_layer_png(*image.shape[:2], bundle.preprocessing, occlusion)))
    assert layer.size == (image.shape[1], image.shape[0]) and layer.mode == "RGBA"


def test_the_heatmap_layer_covers_only_the_field_the_encoder_saw() -> None:
    """A 360 × 400 analyser image: the encoder saw its centred 288 px square, so only that square is coloured;
    the border stays transparent, and the hottest corner of the heatmap is the most opaque."""
    preprocessing = Preprocessing(field_of_view=288, native_min_side=320)
    assert analysed_square(360, 400, preprocessing) == (36, 56, 288)
    heatmap = np.zeros((224, 224), np.float32)
    heatmap[:56, :56] = 1.0
    alpha = np.asarray(Image.open(io.BytesIO(heatmap_layer_png(360, 400, preprocessing, heatmap))))[..., 3]
    assert alpha.shape == (360, 400)
    assert alpha[:30].max() == 0 and alpha[:, :50].max() == 0 and alpha[:, 350:].max() == 0
    assert alpha[40:80, 60:100].min() > 200 and alpha[300:320, 300:340].max() < 100
    zoomed_out = Preprocessing(field_of_view=288, native_min_side=320, lab_zoom=0.5)
    assert analysed_square(360, 360, zoomed_out) == (-108, -108, 576)  # padded by prepare: past the edges
    big = Image.open(io.BytesIO(heatmap_layer_png(2000, 1000, preprocessing, heatmap)))
    assert big.size == (256, 512)  # capped at 512 px, same aspect


def test_the_shipped_models_heatmap_lies_on_the_cell_not_the_background(originals: list[Path]) -> None:
    """The shipped bundle (128 px input, a 4 × 4 feature map) on analyser crops, whose white cell is centred:
    GradCAM++ puts more weight on the central half than on the border around it."""
    bundle = ModelBundle.load(Path(__file__).resolve().parents[2] / "models/hemosight/ml/default/hemosight-default.hsb")
    for path in originals[:2]:
        image = decode_image(path.read_bytes())
        analysis = bundle.analyse([image], landscape=False)[0]
        label = analysis.labels[bundle.default_label_set]
        target = target_embedding(bundle, label, [n.reference_id for n in analysis.neighbours])
        heatmap = gradcam_plus_plus(bundle, bundle.preprocessing.prepare(image), target)
        size = heatmap.shape[0]
        centre = np.zeros_like(heatmap, dtype=bool)
        centre[size // 4 : 3 * size // 4, size // 4 : 3 * size // 4] = True
        assert heatmap[centre].mean() > 1.5 * heatmap[~centre].mean(), path.name
