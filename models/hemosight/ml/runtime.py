"""The encoder on an inference runtime (OpenVINO): fast CPU inference without TensorFlow.

TensorFlow trains the encoder; a bundle may also carry the same encoder converted to
OpenVINO IR (``encoder-fp32.xml``/``.bin``) and, quantised to int8 after training
with NNCF on a few hundred training images, ``encoder-int8.xml``/``.bin``. The
manifest's ``runtime`` entry lists them and names the default variant.
`ModelBundle.embed_prepared` runs the runtime when those members are present and
``openvino`` is installed and falls back to TensorFlow otherwise, so bundles without
them (or machines without OpenVINO) work as before. Running the IR never imports
TensorFlow; converting (`export_runtime`) needs TensorFlow, OpenVINO and, for int8, NNCF.

Variants (`RuntimeEncoder`):
- ``fp32``: the fp32 IR computed in float32 (matches Keras to rounding);
- ``bf16``: the fp32 IR with bfloat16 arithmetic where the CPU has it (AVX512_BF16/AMX);
- ``int8``: the quantised IR (int8 convolutions on VNNI, the rest float32).
``HEMOSIGHT_ENCODER_BACKEND`` (``tensorflow``, ``fp32``, ``bf16``, ``int8``) overrides the
bundle's default, e.g. to compare the variants or to rule the runtime out.
"""

from __future__ import annotations

import importlib.util
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

from hemosight.ml.errors import InputError

ENGINE = "openvino"
#: variant → IR stored in the bundle (stem of the .xml/.bin members)
VARIANT_IR = {"fp32": "encoder-fp32", "bf16": "encoder-fp32", "int8": "encoder-int8"}
#: variant → OpenVINO CPU inference precision
VARIANT_PRECISION = {"fp32": "f32", "bf16": "bf16", "int8": "f32"}
RUNTIME_MEMBERS = tuple(f"{stem}{ext}" for stem in ("encoder-fp32", "encoder-int8") for ext in (".xml", ".bin"))
TENSORFLOW = "tensorflow"
INPUT_NAME = "image"
#: the encoder's last layer (models/hemosight/ml/encoder.py names it l2_normalise), kept in float by int8 quantisation
HEAD_PATTERN = ".*l2_normalise.*"


def available() -> bool:
    """True when OpenVINO can be imported (checked without importing it)."""
    return importlib.util.find_spec("openvino") is not None


def choose_backend(runtime: dict[str, Any], members: dict[str, bytes], requested: str | None = None) -> str:
    """`tensorflow` or a runtime variant the bundle can run here, honouring `requested`
    (the worker's HEMOSIGHT_ENCODER_BACKEND setting)."""
    wanted = requested or runtime.get("default") or TENSORFLOW
    if wanted == TENSORFLOW or wanted not in VARIANT_IR:
        return TENSORFLOW
    stem = VARIANT_IR[wanted]
    if f"{stem}.xml" not in members or f"{stem}.bin" not in members or not available():
        return TENSORFLOW
    return wanted


class RuntimeEncoder:
    """A compiled OpenVINO encoder: float32 (n, s, s, 3) RGB 0–255 → (n, 1280) unit embeddings."""

    def __init__(self, xml: bytes, weights: bytes, variant: str = "fp32", threads: int | None = None) -> None:
        import openvino as ov

        core = ov.Core()
        model = core.read_model(xml.decode("utf-8"), ov.Tensor(np.frombuffer(weights, np.uint8).copy()))
        config: dict[str, Any] = {"INFERENCE_PRECISION_HINT": VARIANT_PRECISION[variant], "PERFORMANCE_HINT": "LATENCY"}
        if threads:
            config["INFERENCE_NUM_THREADS"] = int(threads)
        self.variant = variant
        self._compiled = core.compile_model(model, "CPU", config)
        self._request = self._compiled.create_infer_request()
        self._lock = threading.Lock()  # one infer request: calls from worker threads take turns

    @classmethod
    def from_members(cls, members: dict[str, bytes], variant: str, threads: int | None = None) -> RuntimeEncoder:
        stem = VARIANT_IR[variant]
        return cls(members[f"{stem}.xml"], members[f"{stem}.bin"], variant, threads)

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        with self._lock:
            result = self._request.infer({0: np.ascontiguousarray(batch, np.float32)})
            embeddings = np.array(result[self._compiled.output(0)], np.float32, copy=True)
        # Unit length, as the Keras model's last layer makes it: a guard for reduced-precision IRs (a quantised
        # normalisation left norms of 0.24–1.66, which the classifiers, fitted on unit vectors, would see).
        return embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)


# --- conversion (needs TensorFlow, OpenVINO, and NNCF for int8) -------------------------


def convert_keras(model: Any) -> Any:
    """Keras encoder → `openvino.Model` (OpenVINO's TensorFlow frontend traces the Keras model)."""
    import openvino as ov

    converted = ov.convert_model(model)
    converted.inputs[0].get_tensor().set_names({INPUT_NAME})
    return converted


def squeeze_excitation_convolutions(ov_model: Any) -> list[str]:
    """Names of the 1×1 convolutions that act on a 1×1 map: the squeeze-and-excitation gates."""
    return [
        op.get_friendly_name()
        for op in ov_model.get_ordered_ops()
        if op.get_type_name() == "Convolution"
        and op.input(0).get_partial_shape().rank.get_length() == 4
        and [str(d) for d in op.input(0).get_partial_shape()][2:] == ["1", "1"]
    ]


def quantize_int8(ov_model: Any, calibration: np.ndarray, keep_gates_float: bool = True) -> Any:
    """Post-training int8 quantisation (NNCF, mixed preset: symmetric weights, asymmetric activations).

    The L2 normalisation stays in float: quantising its multiply scattered the embedding norms
    (0.24–1.66) and cost 1 point of held-out macro F1 on the default model; kept in float, int8 costs none.
    """
    import nncf

    images = np.asarray(calibration, np.float32)
    dataset = nncf.Dataset([images[i : i + 1] for i in range(len(images))])
    return nncf.quantize(
        ov_model,
        dataset,
        subset_size=len(images),
        preset=nncf.QuantizationPreset.MIXED,
        fast_bias_correction=True,
        ignored_scope=nncf.IgnoredScope(
            patterns=[HEAD_PATTERN],
            names=squeeze_excitation_convolutions(ov_model) if keep_gates_float else [],
        ),
    )


def serialize(ov_model: Any) -> tuple[bytes, bytes]:
    """`openvino.Model` → (xml, bin) bytes; float weights stored as float16, as the bundle stores the Keras weights."""
    import openvino as ov

    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "model.xml"
        ov.save_model(ov_model, xml, compress_to_fp16=True)
        return xml.read_bytes(), xml.with_suffix(".bin").read_bytes()


def runtime_members(
    keras_model: Any, calibration: np.ndarray | None = None, variants: tuple[str, ...] = ("fp32", "int8")
) -> dict[str, bytes]:
    """The IR members for `variants` ('fp32', 'int8'; int8 needs `calibration` images)."""
    ov_model = convert_keras(keras_model)
    members: dict[str, bytes] = {}
    if "fp32" in variants:
        members["encoder-fp32.xml"], members["encoder-fp32.bin"] = serialize(ov_model)
    if "int8" in variants:
        if calibration is None or len(calibration) == 0:
            raise InputError("int8 quantisation needs calibration images (prepared, uint8 or float32).")
        quantized = quantize_int8(ov_model, calibration)
        members["encoder-int8.xml"], members["encoder-int8.bin"] = serialize(quantized)
    return members


def openvino_version() -> str:
    import openvino as ov

    return str(ov.__version__)


def export_runtime(
    bundle: Any,
    calibration: np.ndarray | None = None,
    variants: tuple[str, ...] = ("fp32", "int8"),
    default: str | None = None,
    check_images: np.ndarray | None = None,
) -> dict[str, Any]:
    """Add OpenVINO IR members to `bundle` (a `ModelBundle`) in place and describe them in `bundle.runtime`.

    `calibration`: prepared images for int8 (a few hundred training-split cells);
    `check_images`: prepared images on which the runtime's embeddings are compared with
    TensorFlow's (cosine similarity), recorded in the manifest. `default` is the variant
    `embed_prepared` runs ('fp32', 'bf16', 'int8'; default int8 when exported, else fp32).
    Returns the `runtime` entry.
    """
    bundle._encoder()  # builds the Keras model from the bundle's (float16-stored) weights
    members = runtime_members(bundle._model, calibration, variants)
    default = default or ("int8" if "int8" in variants else "fp32")
    if VARIANT_IR[default] + ".xml" not in members:
        raise InputError(f"Default variant {default!r} needs the {VARIANT_IR[default]} IR; export it too.")
    runtime: dict[str, Any] = {
        "engine": ENGINE,
        "openvino_version": openvino_version(),
        "default": default,
        "variants": sorted({v for v, stem in VARIANT_IR.items() if f"{stem}.xml" in members}),
        "input": {"name": INPUT_NAME, "dtype": "float32", "layout": "NHWC", "range": "0-255"},
    }
    if calibration is not None and "int8" in variants:
        runtime["int8_calibration_images"] = len(calibration)
    if check_images is not None and len(check_images):
        images = np.asarray(check_images, np.float32)
        reference = np.asarray(bundle._encoder()(images))
        runtime["check"] = {"images": len(images)}
        for variant in runtime["variants"]:
            embedded = RuntimeEncoder.from_members(members, variant)(images)
            runtime["check"][variant] = cosine_summary(reference, embedded)
    bundle.runtime_members = members
    bundle.runtime = runtime
    bundle.encoder_backend = None
    return runtime


def cosine_summary(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """Row-wise cosine similarity of two embedding matrices: min and mean."""
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    cosine = (a * b).sum(axis=1)
    return {"cosine_min": float(cosine.min()), "cosine_mean": float(cosine.mean())}
