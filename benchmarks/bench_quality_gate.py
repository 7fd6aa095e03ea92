"""The usable-cell check (models/hemosight/ml/quality.py): false flags on real cells, catches on generated non-cells.

    python -m benchmarks.bench_quality_gate [--bundle BUNDLE] [--data DATA_DIR]

Real cells: the held-out PBC split (20 %, stratified by cell type, seed 0, as scripts/train_default.py
makes it: cells neither the encoder nor the classifiers saw) and the 40 analyzer originals; target
≤ 1 % flagged in each. Non-cells, generated here with a fixed seed and sent through the same
decoder as an upload (PNG/JPEG bytes → `decode_image`): blank and uniform images, solid colours,
RGB and Gaussian noise, gradients, checkerboards, greyscale and colour-stripped copies of held-out
cells, RGBA copies with a transparent background or half transparency, strips (10000×10 and
cell crops stretched to 20:1), natural images from scikit-image's data module and crops of them;
target ≥ 99 % flagged. Prints a JSON summary and appends a section to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import io
import json
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.datasets import DEFAULT_BUNDLE, ORIGINALS_DIR, PBC_DIR
from hemosight.ml.bundle import ModelBundle
from hemosight.ml.data import read_label_table, stratified_split
from hemosight.ml.imageio import decode_image
from hemosight.ml.quality import QualityGate, statistics

ROOT = Path(__file__).resolve().parents[1]


def encoded(array: np.ndarray, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, fmt)
    return buffer.getvalue()


def natural_images() -> list[tuple[str, np.ndarray]]:
    """scikit-image's sample pictures that ship with the package (no download), as RGB uint8."""
    try:
        from skimage import data
    except ImportError:
        return []
    names = [
        "astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry", "retina",
        "colorwheel", "logo", "motorcycle_left", "camera", "moon", "coins", "page", "text", "horse", "clock",
        "grass", "gravel", "brick", "rough_wall", "checkerboard", "cell", "human_mitosis",
    ]  # fmt: skip
    pictures = []
    for name in names:
        try:
            picture = np.asarray(getattr(data, name)())
        except Exception:  # some samples need an optional download; skip those
            continue
        if picture.dtype == bool:
            picture = picture.astype(np.uint8) * 255
        if picture.dtype != np.uint8:
            picture = (255 * (picture - picture.min()) / max(float(np.ptp(picture)), 1e-9)).astype(np.uint8)
        if picture.ndim == 2:
            picture = np.repeat(picture[:, :, None], 3, axis=2)
        pictures.append((name, picture[:, :, :3]))
    return pictures


def non_cells(cells: list[np.ndarray], seed: int = 0) -> Iterator[tuple[str, bytes]]:
    """(kind, file bytes) of generated images that are not usable cells."""
    rng = np.random.default_rng(seed)
    side = 360
    for value in (0, 255, 128, 240, 30):
        yield "blank", encoded(np.full((side, side, 3), value, np.uint8))
    for _ in range(60):
        colour = rng.integers(0, 256, 3)
        yield "solid colour", encoded(np.broadcast_to(colour, (side, side, 3)).astype(np.uint8), "JPEG")
    for _ in range(40):
        yield "noise (uniform RGB)", encoded(rng.integers(0, 256, (side, side, 3)).astype(np.uint8))
        mean, spread = rng.uniform(60, 200), rng.uniform(10, 60)
        gauss = np.clip(rng.normal(mean, spread, (side, side, 3)), 0, 255).astype(np.uint8)
        yield "noise (Gaussian)", encoded(gauss, "JPEG")
    for _ in range(40):
        a, b = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
        t = np.linspace(0, 1, side)[None, :, None] if rng.random() < 0.5 else np.linspace(0, 1, side)[:, None, None]
        yield "gradient", encoded(np.broadcast_to(a + (b - a) * t, (side, side, 3)).astype(np.uint8))
    for _ in range(20):
        tile = int(rng.integers(8, 60))
        board = ((np.arange(side)[:, None] // tile + np.arange(side)[None, :] // tile) % 2).astype(np.uint8)
        a, b = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
        yield "checkerboard", encoded(np.where(board[:, :, None] == 1, a, b).astype(np.uint8))
    picks = rng.choice(len(cells), size=min(60, len(cells)), replace=False)
    for i in picks:
        cell = cells[i]
        grey = np.repeat((cell @ np.array([0.299, 0.587, 0.114])).astype(np.uint8)[:, :, None], 3, axis=2)
        yield "greyscale copy of a cell", encoded(grey, "JPEG")
        stripped = (0.1 * cell + 0.9 * grey).astype(np.uint8)
        yield "colour-stripped copy (10 % colour)", encoded(stripped, "JPEG")
        rgba = np.dstack([cell, np.full(cell.shape[:2], 255, np.uint8)])
        yy, xx = np.mgrid[: cell.shape[0], : cell.shape[1]]
        rgba[..., 3] = np.where((yy - cell.shape[0] / 2) ** 2 + (xx - cell.shape[1] / 2) ** 2 < 40**2, 255, 0)
        yield "RGBA copy, transparent outside the centre", encoded(rgba)
        faint = np.dstack([cell, np.full(cell.shape[:2], 40, np.uint8)])
        yield "RGBA copy, 85 % transparent", encoded(faint)
        stretched = np.asarray(Image.fromarray(cell).resize((1200, 60)))
        yield "cell stretched to a 20:1 strip", encoded(stretched, "JPEG")
    for _ in range(10):
        colour = rng.integers(0, 256, 3)
        yield "solid strip 10000×10", encoded(np.broadcast_to(colour, (10, 10000, 3)).astype(np.uint8))
    for name, picture in natural_images():
        yield f"natural image ({name})", encoded(picture, "JPEG")
        h, w = picture.shape[:2]
        for _ in range(4):
            crop = int(min(h, w) * rng.uniform(0.3, 0.7))
            top, left = int(rng.integers(0, h - crop + 1)), int(rng.integers(0, w - crop + 1))
            yield "natural image crop", encoded(picture[top : top + crop, left : left + crop], "JPEG")


def flags(bundle: ModelBundle, gate: QualityGate, images: list[np.ndarray]) -> list[str | None]:
    """The gate's verdict per image, with the nearest reference distance the worker would see."""
    distances = np.empty(len(images))
    for start in range(0, len(images), 128):
        batch = images[start : start + 128]
        embeddings = bundle.embed(batch).astype(np.float16).astype(np.float32)
        distances[start : start + len(batch)] = bundle._neighbours().kneighbors(embeddings, 1)[0][:, 0]
    return [gate.check(image, float(d)) for image, d in zip(images, distances, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE)
    parser.add_argument("--pbc", type=Path, default=PBC_DIR, help="the PBC folder (labels.csv)")
    parser.add_argument("--originals", type=Path, default=ORIGINALS_DIR, help="the PBC originals folder")
    parser.add_argument("--limit", type=int, default=0, help="held-out cells to use (0: all)")
    parser.add_argument("--no-results", action="store_true", help="do not append to benchmarks/RESULTS.md")
    args = parser.parse_args()
    started = time.monotonic()
    bundle = ModelBundle.load(args.bundle)
    gate = bundle.quality_gate()
    table = read_label_table(args.pbc / "labels.csv")
    _, test_rows = stratified_split(table.label_sets["cell_type"], 0.2, seed=0)
    if args.limit:
        test_rows = test_rows[: args.limit]
    held_out = [decode_image(table.paths[i].read_bytes()) for i in test_rows]
    originals = [decode_image(p.read_bytes()) for p in sorted(args.originals.glob("*.jpg"))]
    generated = list(non_cells(held_out))
    synthetic = [decode_image(data) for _, data in generated]
    verdicts = {
        "held_out": flags(bundle, gate, held_out),
        "originals": flags(bundle, gate, originals),
        "non_cells": flags(bundle, gate, synthetic),
    }
    kinds = Counter(kind for kind, _ in generated)
    caught = Counter(kind for (kind, _), v in zip(generated, verdicts["non_cells"], strict=True) if v)
    missed = sorted({kind for (kind, _), v in zip(generated, verdicts["non_cells"], strict=True) if not v})

    def reasons(values: list[str | None]) -> dict[str, int]:
        return dict(Counter(v.split(":")[0] for v in values if v))

    real_colour = [statistics(im).colour for im in held_out + originals]
    summary = {
        "bundle": bundle.version,
        "gate": {k: v for k, v in gate.to_dict().items()},
        "held_out": {
            "cells": len(held_out),
            "flagged": sum(v is not None for v in verdicts["held_out"]),
            "reasons": reasons(verdicts["held_out"]),
        },
        "originals": {
            "cells": len(originals),
            "flagged": sum(v is not None for v in verdicts["originals"]),
            "reasons": reasons(verdicts["originals"]),
        },
        "non_cells": {
            "images": len(synthetic),
            "flagged": sum(v is not None for v in verdicts["non_cells"]),
            "per_kind": {k: f"{caught[k]}/{n}" for k, n in sorted(kinds.items())},
            "kinds_missed": missed,
            "reasons": reasons(verdicts["non_cells"]),
        },
        "real_cell_colour_p1": float(np.percentile(real_colour, 1)),
        "seconds": round(time.monotonic() - started, 1),
    }
    print(json.dumps(summary, indent=2))
    if not args.no_results:
        append_results(summary)


def append_results(summary: dict) -> None:
    held, orig, non = summary["held_out"], summary["originals"], summary["non_cells"]
    gate = summary["gate"]
    lines = [
        "",
        f"## Usable-cell check (quality gate) ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "Command: `python -m benchmarks.bench_quality_gate`",
        "",
        f"Bundle {summary['bundle']}; thresholds: contrast ≥ {gate['min_contrast']}, colour ≥ {gate['min_colour']}, "
        f"aspect ratio ≤ {gate['max_aspect_ratio']}, nearest reference distance ≤ "
        f"{gate['max_reference_distance']:.3f} ({gate['calibration'].get('method', 'stored')}).",
        "",
        "| set | images | flagged | share | target |",
        "|---|---|---|---|---|",
        f"| held-out PBC cells | {held['cells']} | {held['flagged']} | {100 * held['flagged'] / held['cells']:.2f} % "
        "| ≤ 1 % |",
        f"| analyzer originals | {orig['cells']} | {orig['flagged']} | {100 * orig['flagged'] / orig['cells']:.2f} % "
        "| ≤ 1 % |",
        f"| generated non-cells | {non['images']} | {non['flagged']} | {100 * non['flagged'] / non['images']:.2f} % "
        "| ≥ 99 % |",
        "",
        "Per kind of non-cell (flagged/generated): " + "; ".join(f"{k} {v}" for k, v in non["per_kind"].items()) + ".",
        f"Reasons on real cells: {held['reasons'] or 'none'} (held-out), {orig['reasons'] or 'none'} (originals).",
        "",
    ]
    with open(ROOT / "benchmarks" / "RESULTS.md", "a") as handle:
        handle.write("\n".join(lines))


if __name__ == "__main__":
    main()
