"""What the encoder looked at in one cell: a GradCAM++ heatmap (the paper's Fig. 6), or an occlusion map.

The score explained. The encoder has no class head: a cell's class comes from label-set classifiers and
reference neighbours on its embedding. So the heatmap explains the *embedding similarity* to the cells that
made the prediction: the cosine similarity between the cell's embedding and the mean embedding of its nearest
reference cells of the predicted class (those the neighbour panel shows; the class's references when none of
the nearest share it). This follows the paper's Fig. 6, which explains the encoder rather than a classifier,
and it needs only the encoder, so it works for every label set the lab defines (their classifiers are not
differentiable TensorFlow models).

GradCAM++ (Chattopadhay et al., WACV 2018) weights each channel of the backbone's last feature map A by
Σ_ij α_ij·ReLU(∂S/∂A_ij), with α from the closed form for an exponential score,
α = g² / (2g² + Σ_ab A_ab · g³) with g = ∂S/∂A; the heatmap is ReLU(Σ_c w_c A_c), upsampled to the input.
It needs TensorFlow and the bundle's Keras encoder weights (`encoder.npz`, in every bundle), so it runs in a
worker only. Where TensorFlow is not installed, `occlusion_map` explains the same score with the runtime
encoder alone (OpenVINO): how much the similarity drops when each patch of the cell is greyed out. The two are
named apart ("gradcam++" / "occlusion") wherever a heatmap is shown.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image

from hemosight.ml.bundle import ModelBundle
from hemosight.ml.preprocessing import Preprocessing, analysed_square

GRADCAM = "gradcam++"
OCCLUSION = "occlusion"
#: Viridis anchors (perceptually uniform, readable with the common forms of colour blindness).
VIRIDIS = np.array(
    [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]],
    dtype=np.float32,
)
#: The PNG layer's longest side: enough for the cell view's 4× zoom, small to store and send.
LAYER_MAX_SIDE = 512
#: Opacity (0–255) of the coldest part of the analysed field, so its extent stays visible.
LAYER_MIN_ALPHA = 48


def target_embedding(bundle: ModelBundle, predicted: str, neighbour_ids: Sequence[str]) -> np.ndarray:
    """Mean unit embedding of the nearest reference cells labelled `predicted` (default label set), else of all
    the references of that class; unit length, so its dot product with an embedding is the mean similarity."""
    refs = bundle.references
    labels = refs.labels.get(bundle.default_label_set, [""] * len(refs))
    index = {rid: i for i, rid in enumerate(refs.ids)}
    rows = [index[r] for r in neighbour_ids if r in index and labels[index[r]] == predicted]
    if not rows:
        rows = [i for i, label in enumerate(labels) if label == predicted]
    if not rows:
        raise ValueError(f"Model {bundle.version} has no reference cell of class {predicted!r} to compare with.")
    mean = np.asarray(refs.embeddings, np.float32)[rows].mean(axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-12)


def gradcam_plus_plus(bundle: ModelBundle, prepared: np.ndarray, target: np.ndarray) -> np.ndarray:
    """GradCAM++ heatmap (input_size × input_size, 0–1) of the similarity of `prepared`'s embedding to `target`.

    Raises ModuleNotFoundError when TensorFlow is not installed (the caller falls back to `occlusion_map`).
    """
    import keras
    import tensorflow as tf

    bundle._encoder()  # builds the Keras encoder from the bundle's weights (once)
    model: keras.Model = bundle._model
    backbone = next(layer for layer in model.layers if isinstance(layer, keras.Model))
    pool, normalise = model.get_layer("pool"), model.get_layer("l2_normalise")
    x = tf.constant(np.asarray(prepared, np.float32)[None])
    goal = tf.constant(np.asarray(target, np.float32)[None])
    with tf.GradientTape() as tape:
        features = backbone(x, training=False)
        tape.watch(features)
        score = tf.reduce_sum(normalise(pool(features)) * goal)
    grads = tape.gradient(score, features)
    a, g = features.numpy()[0].astype(np.float64), grads.numpy()[0].astype(np.float64)
    g2, g3 = g**2, g**3
    denominator = 2 * g2 + a.sum(axis=(0, 1), keepdims=True) * g3
    alpha = np.divide(g2, denominator, out=np.zeros_like(g2), where=np.abs(denominator) > 1e-12)
    weights = (alpha * np.maximum(g, 0)).sum(axis=(0, 1))
    cam = np.maximum((a * weights).sum(axis=-1), 0)
    return _upsampled(cam, prepared.shape[0])


def occlusion_map(bundle: ModelBundle, prepared: np.ndarray, target: np.ndarray, grid: int = 8) -> np.ndarray:
    """How much the similarity to `target` drops when each of grid × grid patches is greyed out (0–1), computed
    with the encoder the bundle runs (OpenVINO when present): the fallback where TensorFlow is not installed."""
    size = prepared.shape[0]
    step = int(np.ceil(size / grid))
    grey = np.asarray(prepared, np.float32).mean(axis=(0, 1))
    batch = [np.asarray(prepared, np.float32)]
    for row in range(grid):
        for column in range(grid):
            occluded = np.array(batch[0])
            occluded[row * step : (row + 1) * step, column * step : (column + 1) * step] = grey
            batch.append(occluded)
    embeddings = bundle.embed_prepared(np.stack(batch))
    scores = embeddings @ np.asarray(target, np.float32)
    drops = np.maximum(scores[0] - scores[1:], 0).reshape(grid, grid)
    return _upsampled(drops, size)


def _upsampled(cam: np.ndarray, size: int) -> np.ndarray:
    cam = np.asarray(cam, np.float64)
    span = float(cam.max() - cam.min())
    cam = (cam - cam.min()) / span if span > 1e-12 else np.zeros_like(cam)
    resized = Image.fromarray((cam * 255).astype(np.uint8)).resize((size, size), Image.Resampling.BILINEAR)
    return np.asarray(resized, np.float32) / 255.0


def _viridis(heat: np.ndarray) -> np.ndarray:
    level = np.clip(heat, 0, 1) * (len(VIRIDIS) - 1)
    low = np.floor(level).astype(int).clip(0, len(VIRIDIS) - 2)
    return VIRIDIS[low] + (VIRIDIS[low + 1] - VIRIDIS[low]) * (level - low)[..., None]


def heatmap_layer_png(height: int, width: int, preprocessing: Preprocessing, heatmap: np.ndarray) -> bytes:
    """The heatmap in viridis as a transparent PNG layer over the uploaded image, in its own frame (same aspect,
    at most LAYER_MAX_SIDE px): the browser lays it over the cell with an opacity slider, and it lines up
    although the encoder saw only the centred field of view. Outside that field the layer is transparent; inside,
    the opacity grows with the heat, so the cell shows through where the encoder did not look."""
    scale = min(1.0, LAYER_MAX_SIDE / max(height, width))
    out_h, out_w = max(1, round(height * scale)), max(1, round(width * scale))
    top, left, side = analysed_square(height, width, preprocessing)
    size = max(1, round(side * scale))
    heat = Image.fromarray((np.clip(heatmap, 0, 1) * 255).astype(np.uint8)).resize(
        (size, size), Image.Resampling.BILINEAR
    )
    level = np.asarray(heat, np.float32) / 255.0
    rgba = np.concatenate([_viridis(level), (LAYER_MIN_ALPHA + (255 - LAYER_MIN_ALPHA) * level)[..., None]], axis=-1)
    layer = Image.new("RGBA", (out_w, out_h), (0, 0, 0, 0))
    layer.paste(Image.fromarray(rgba.clip(0, 255).astype(np.uint8), "RGBA"), (round(left * scale), round(top * scale)))
    buffer = io.BytesIO()
    layer.save(buffer, format="PNG")
    return buffer.getvalue()


def explain_cell(
    bundle: ModelBundle, image: np.ndarray, predicted: str, neighbour_ids: Sequence[str]
) -> tuple[bytes, str]:
    """(PNG heatmap layer over `image`, method) for a decoded RGB cell: GradCAM++ where TensorFlow is installed,
    else occlusion."""
    prepared = bundle.preprocessing.prepare(image)
    target = target_embedding(bundle, predicted, neighbour_ids)
    try:
        heatmap, method = gradcam_plus_plus(bundle, prepared, target), GRADCAM
    except ModuleNotFoundError:
        heatmap, method = occlusion_map(bundle, prepared, target), OCCLUSION
    return heatmap_layer_png(image.shape[0], image.shape[1], bundle.preprocessing, heatmap), method
