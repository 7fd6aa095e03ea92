"""`hemosight export-runtime`: add the OpenVINO encoder (fp32 and int8 IR) to a model bundle."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from hemosight.ml.errors import HemosightError


def run(args: argparse.Namespace) -> int:
    from hemosight.ml.bundle import ModelBundle
    from hemosight.ml.runtime import available, export_runtime

    if not available():
        raise HemosightError("OpenVINO is not installed: pip install 'openvino' 'nncf' (see pyproject.toml).")
    bundle = ModelBundle.load(args.bundle)
    variants = tuple(v.strip() for v in args.variants.split(",") if v.strip())
    unknown = set(variants) - {"fp32", "int8"}
    if unknown:
        raise HemosightError(f"unknown variant(s) {', '.join(sorted(unknown))}; choose from fp32, int8.")
    images = _calibration_pool(args, bundle)
    calibration = check = None
    if images is not None:
        rng = np.random.default_rng(args.seed)
        order = rng.permutation(len(images))
        calibration = np.asarray(images[np.sort(order[: args.calibration_size])])
        check = np.asarray(images[np.sort(order[args.calibration_size : args.calibration_size + args.check_size])])
    elif "int8" in variants:
        raise HemosightError("int8 needs calibration images: pass --data (labels CSV) or --prepared (.npy).")
    runtime = export_runtime(bundle, calibration, variants, args.default, check)
    out = bundle.save(args.out or args.bundle)
    print(json.dumps({"bundle": str(out), "runtime": runtime}, indent=2))
    return 0


def _calibration_pool(args: argparse.Namespace, bundle) -> np.ndarray | None:
    """Prepared images to calibrate on (a .npy of prepared images or a labels CSV), only --split's train rows."""
    from hemosight.ml.data import load_images, read_label_table

    if args.prepared is not None:
        images = np.load(args.prepared, mmap_mode="r")
        size = bundle.preprocessing.input_size
        if images.ndim != 4 or images.shape[1:] != (size, size, 3):
            raise HemosightError(f"{args.prepared} holds {images.shape}, not prepared ({size}, {size}, 3) images.")
    elif args.data is not None:
        table = read_label_table(args.data, args.images)
        images = load_images(table.paths, bundle.preprocessing, cache_dir=args.cache)
    else:
        return None
    if args.split is not None:
        rows = np.asarray(json.loads(Path(args.split).read_text())["train"], np.int64)
        images = images[rows]
    return images
