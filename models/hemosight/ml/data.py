"""Labelled image tables: the labels CSV format and cached, preprocessed image arrays.

A labels CSV has a `path` column relative to the CSV's folder (or to `images_dir`)
and one column per label set; an empty cell means "not labelled in this set".
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hemosight.ml.errors import InputError
from hemosight.ml.imageio import decode_image
from hemosight.ml.preprocessing import Preprocessing

#: Columns of the PBC labels.csv (benchmarks/datasets.py) that are not label sets (`subtype` holds the PBC file-name
#: codes; it becomes the `subtype` label set through SUBTYPE_NAMES).
NON_LABEL_COLUMNS = {"path", "file", "subtype", "wbcatt_split"}
SUBTYPE_COLUMN = "subtype"
#: PBC subtype codes → the names a lab reports. The finer classes pathologists asked for (band vs
#: segmented neutrophil, the stages of immature granulocytes); the codes IG and NEUTROPHIL say only
#: "some immature granulocyte" / "some neutrophil", so those cells stay unlabelled in this set.
SUBTYPE_NAMES = {
    "BA": "basophil",
    "EO": "eosinophil",
    "ERB": "erythroblast",
    "LY": "lymphocyte",
    "MO": "monocyte",
    "PLATELET": "platelet",
    "BNE": "band neutrophil",
    "SNE": "segmented neutrophil",
    "PMY": "promyelocyte",
    "MY": "myelocyte",
    "MMY": "metamyelocyte",
}
#: The 11 morphological attributes of WBCAtt (Tsutsui et al., 2023), label sets of the PBC labels.csv.
WBCATT_ATTRIBUTES = (
    "cell_size", "cell_shape", "nucleus_shape", "nuclear_cytoplasmic_ratio", "chromatin_density",
    "cytoplasm_vacuole", "cytoplasm_texture", "cytoplasm_colour", "granule_type", "granule_colour", "granularity",
)  # fmt: skip


@dataclass
class LabelTable:
    paths: list[Path]
    label_sets: dict[str, list[str]] = field(default_factory=dict)

    def labelled(self, label_set: str) -> np.ndarray:
        """Indices of rows with a label in `label_set`."""
        return np.array([i for i, v in enumerate(self.label_sets[label_set]) if v], dtype=np.int64)

    def classes(self, label_set: str) -> list[str]:
        return sorted({v for v in self.label_sets[label_set] if v})

    def subset(self, rows: np.ndarray) -> LabelTable:
        return LabelTable([self.paths[i] for i in rows], {k: [v[i] for i in rows] for k, v in self.label_sets.items()})


def read_label_table(csv_path: Path, images_dir: Path | None = None) -> LabelTable:
    """Read a labels CSV; `file` is accepted as a synonym of `path` (pbc-originals)."""
    csv_path = Path(csv_path)
    base = Path(images_dir) if images_dir else csv_path.parent
    if not csv_path.is_file():
        raise InputError(f"The labels file {csv_path} does not exist.")
    with csv_path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        key = "path" if "path" in columns else "file" if "file" in columns else None
        if key is None:
            raise InputError(f"{csv_path} has no 'path' column (columns: {', '.join(columns)}).")
        rows = list(reader)
    label_columns = [c for c in columns if c not in NON_LABEL_COLUMNS]
    label_sets = {c: [(row[c] or "").strip() for row in rows] for c in label_columns}
    if SUBTYPE_COLUMN in columns:
        label_sets[SUBTYPE_COLUMN] = [SUBTYPE_NAMES.get((row[SUBTYPE_COLUMN] or "").strip(), "") for row in rows]
    return LabelTable(paths=[base / row[key] for row in rows], label_sets=label_sets)


def load_images(paths: list[Path], preprocessing: Preprocessing, cache_dir: Path | None = None) -> np.ndarray:
    """Decode and prepare all images into one uint8 array, cached on disk by content of the path list.

    Decoding 15,000 JPEGs takes about a minute; training and benchmarks reuse the cache.
    """
    cache_file = None
    if cache_dir is not None:
        digest = hashlib.sha256(
            ("\n".join(str(p) for p in paths) + repr(preprocessing.to_dict())).encode()
        ).hexdigest()[:16]
        cache_file = Path(cache_dir) / f"images-{preprocessing.input_size}-{digest}.npy"
        if cache_file.exists():
            return np.load(cache_file, mmap_mode="r")
    size = preprocessing.input_size
    out = np.empty((len(paths), size, size, 3), dtype=np.uint8)
    for i, path in enumerate(paths):
        out[i] = preprocessing.prepare(decode_image(Path(path).read_bytes()))
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(".tmp.npy")
        np.save(tmp, out)
        tmp.replace(cache_file)
    return out


def stratified_split(labels: list[str], test_fraction: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Seeded stratified train/test row indices; every class keeps its share in both parts."""
    rng = np.random.default_rng(seed)
    values = np.asarray(labels)
    train: list[int] = []
    test: list[int] = []
    for value in sorted(set(labels)):
        rows = rng.permutation(np.flatnonzero(values == value))
        cut = round(len(rows) * test_fraction)
        test.extend(rows[:cut])
        train.extend(rows[cut:])
    return np.sort(np.asarray(train, np.int64)), np.sort(np.asarray(test, np.int64))
