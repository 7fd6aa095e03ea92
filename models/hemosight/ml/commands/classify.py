"""`hemosight classify`: one record per file with the label in every label set."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hemosight.ml.cli import resolve_bundle, write_records


def run(args: argparse.Namespace) -> int:
    from hemosight.ml.bundle import ModelBundle
    from hemosight.ml.imageio import ImageDecodeError, decode_image

    bundle = ModelBundle.load(resolve_bundle(args.model))
    records: list[dict] = []
    decoded: list[tuple[int, object]] = []
    for path in args.files:
        record: dict = {"file": str(path)}
        try:
            decoded.append((len(records), decode_image(Path(path).read_bytes())))
        except (OSError, ImageDecodeError) as exc:
            record["error"] = str(exc) if isinstance(exc, ImageDecodeError) else f"cannot read file: {exc.strerror}"
        records.append(record)
    for start in range(0, len(decoded), args.batch_size):
        chunk = decoded[start : start + args.batch_size]
        analyses = bundle.analyse([image for _, image in chunk], landscape=False)  # type: ignore[misc]
        for (row, _), analysis in zip(chunk, analyses, strict=False):
            records[row].update(
                label=analysis.labels[bundle.default_label_set],
                labels=analysis.labels,
                probabilities=analysis.probabilities,
                model_version=bundle.version,
            )
    write_records(records, args.format, sys.stdout)
    return 1 if any("error" in r for r in records) else 0
