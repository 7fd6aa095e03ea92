"""The model bundle: one versioned, self-describing file that the rest of HemoSight loads.

A bundle (``.hsb``) is a zip archive of
- ``manifest.json``: format version, model version, creation time, preprocessing,
  encoder settings, label sets with their class lists, metrics, credits, and the
  SHA-256 of every other member;
- ``encoder.npz``: encoder weights (float16 to keep the shipped file small);
- ``classifiers.npz``: one `LabelSetClassifier` per label set, as arrays;
- ``references.npz``: reference cell ids, labels per label set, embeddings (or, when every
  reference cell is a support cell, their rows in ``support.npz``) and landscape coordinates,
  and JPEG thumbnails;
- optional ``neighbours.npz``: the HNSW neighbour graph (`NeighbourIndex`) when the
  reference set is too large for exact search, so a hospital-scale bundle is searchable
  as soon as it loads instead of after a graph build of minutes. Bundles without it load
  as before, and HemoSight versions that do not know it ignore it;
- optional ``support.npz``: the support set the label-set classifiers were fitted on (cell ids,
  embeddings as int8 codes with a power-of-two scale per row (hemosight.ml.compact; float16 in
  older bundles), labels per label set), so a worker's refit starts from exactly the cells the
  bundle's classifiers rest on. Without it the reference cells are the support set (bundles
  built before it);
- optional ``encoder-fp32.xml``/``.bin`` and ``encoder-int8.xml``/``.bin``: the encoder as
  OpenVINO IR (`models.runtime`, made by ``hemosight export-runtime``), listed in the
  manifest's ``runtime`` entry; `embed_prepared` runs it when OpenVINO is installed and
  falls back to TensorFlow otherwise.
No member is unpickled, so a tampered bundle cannot run code; a member whose
checksum differs, a truncated file or an unknown format version is refused with
`BundleError`. Saving writes a temporary file and renames it, so a crash never
leaves a half-written bundle in place.

Loading never imports TensorFlow: the backend reads reference thumbnails and the
landscape from a bundle; only `embed`/`analyse` build the encoder.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from hemosight.ml.classifiers import LabelSetClassifier
from hemosight.ml.compact import decode_rows, encode_rows
from hemosight.ml.errors import HemosightError
from hemosight.ml.landscape import Landscape
from hemosight.ml.neighbours import NeighbourIndex
from hemosight.ml.preprocessing import Preprocessing
from hemosight.ml.quality import QualityGate, gate_for
from hemosight.ml.runtime import RUNTIME_MEMBERS, TENSORFLOW, RuntimeEncoder, choose_backend

FORMAT = "hemosight-bundle"
FORMAT_VERSION = 1
MEMBERS = ("encoder.npz", "classifiers.npz", "references.npz")
OPTIONAL_MEMBERS = ("neighbours.npz", "support.npz", *RUNTIME_MEMBERS)

PBC_CREDIT = (
    "Trained on the PBC dataset: Acevedo et al., 'A dataset of microscopic peripheral blood cell images "
    "for development of automatic recognition systems', Data in Brief 30 (2020) 105474, CC BY 4.0."
)
WBCATT_CREDIT = "Attribute labels from WBCAtt (Tsutsui, Pang, Wen, NeurIPS 2023), MIT licence."


class BundleError(HemosightError, ValueError):
    """The file is not a usable HemoSight model bundle; the message says why and what to do."""


@dataclass
class References:
    """The labelled reference cells a bundle carries: for neighbours and the landscape."""

    ids: list[str]
    labels: dict[str, list[str]]
    embeddings: np.ndarray
    coordinates: np.ndarray
    thumbnails: list[bytes]

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class SupportSet:
    """Labelled cells a classifier is fitted on: ids (its fold keys), embeddings, labels per label set ("": none)."""

    ids: list[str]
    labels: dict[str, list[str]]
    embeddings: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    def cells(self, label_set: str) -> tuple[list[str], np.ndarray, np.ndarray]:
        """(ids, float32 embeddings, labels) of the cells labelled in `label_set`."""
        values = np.asarray(self.labels.get(label_set, []), dtype=object)
        rows = np.flatnonzero(values != "") if len(values) else np.zeros(0, np.int64)
        return (
            [self.ids[i] for i in rows],
            np.asarray(self.embeddings[rows], np.float32),
            values[rows].astype(str),
        )


@dataclass
class Neighbour:
    reference_id: str
    label: str
    distance: float


@dataclass
class CellAnalysis:
    """Everything the model says about one cell."""

    labels: dict[str, str]
    probabilities: dict[str, dict[str, float]]
    neighbours: list[Neighbour]
    landscape: tuple[float, float]
    embedding: np.ndarray = field(repr=False)


@dataclass
class ModelBundle:
    version: str
    preprocessing: Preprocessing
    encoder_weights: list[np.ndarray]
    classifiers: dict[str, LabelSetClassifier]
    default_label_set: str
    references: References
    metrics: dict[str, Any] = field(default_factory=dict)
    credits: list[str] = field(default_factory=lambda: [PBC_CREDIT])
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    dropout: float = 0.2
    #: The encoder's backbone (models.encoder.ARCHITECTURES); bundles before it existed are EfficientNetV2-B0.
    architecture: str = "EfficientNetV2-B0"
    neighbour_index: NeighbourIndex | None = field(default=None, repr=False, compare=False)
    #: OpenVINO IR members (name → bytes) and the manifest's `runtime` entry describing them.
    runtime_members: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)
    runtime: dict[str, Any] = field(default_factory=dict)
    #: None: the bundle's default runtime variant (or $HEMOSIGHT_ENCODER_BACKEND); 'tensorflow', 'fp32', 'bf16', 'int8'.
    encoder_backend: str | None = field(default=None, compare=False)
    #: Thresholds of the usable-cell check (hemosight.ml.quality); empty: defaults, the distance from the references.
    quality: dict[str, Any] = field(default_factory=dict)
    #: The classifiers' support set when it is not the reference cells (see the module docstring).
    support: SupportSet | None = field(default=None, repr=False, compare=False)
    #: Seconds per stage of the last `analyse` call (preprocess, embed, classify, neighbours, landscape): the
    #: worker logs them so a slow pipeline can be traced to its stage.
    last_timings: dict[str, float] = field(default_factory=dict, repr=False, compare=False)

    # --- inference -------------------------------------------------------------------
    @property
    def label_sets(self) -> dict[str, list[str]]:
        return {name: list(c.classes_) for name, c in self.classifiers.items()}

    def embed(self, images: Sequence[np.ndarray], batch_size: int = 64) -> np.ndarray:
        """Embeddings (n, 1280) of decoded RGB uint8 images of any size."""
        return self.embed_prepared(np.stack([self.preprocessing.prepare(im) for im in images]), batch_size)

    def embed_prepared(self, prepared: np.ndarray, batch_size: int = 64) -> np.ndarray:
        """Embeddings of images already passed through `self.preprocessing.prepare`.

        Runs the OpenVINO encoder the bundle carries when the runtime is installed (no TensorFlow
        import), else the TensorFlow graph function; `backend` says which one is in use.
        """
        infer = self._runtime_encoder() or self._encoder()
        batches = [
            np.asarray(infer(np.asarray(prepared[i : i + batch_size], np.float32)))
            for i in range(0, len(prepared), batch_size)
        ]
        return np.concatenate(batches).astype(np.float32)

    def analyse(self, images: Sequence[np.ndarray], k: int = 10, landscape: bool = True) -> list[CellAnalysis]:
        """Embed, classify in every label set, find neighbours and place on the landscape."""
        if not images:
            return []
        tick = time.perf_counter()
        prepared = np.stack([self.preprocessing.prepare(im) for im in images])
        preprocess = time.perf_counter() - tick
        # Rounded as the store keeps them (float16): a later re-score of the stored embedding then
        # reproduces this first score exactly.
        embeddings = self.embed_prepared(prepared).astype(np.float16).astype(np.float32)
        embed = time.perf_counter() - tick - preprocess
        results = self.analyse_embeddings(embeddings, k, landscape)
        self.last_timings = {"preprocess": preprocess, "embed": embed, **self.last_timings}
        return results

    def analyse_embeddings(self, embeddings: np.ndarray, k: int = 10, landscape: bool = True) -> list[CellAnalysis]:
        """`landscape=False` skips the t-SNE placement (NaN coordinates): classification alone is faster."""
        ticks = [time.perf_counter()]
        probabilities = {name: clf.predict_proba(embeddings) for name, clf in self.classifiers.items()}
        ticks.append(time.perf_counter())
        distances, indices = self._neighbours().kneighbors(embeddings, k)
        ticks.append(time.perf_counter())
        coordinates = self._landscape().transform(embeddings) if landscape else np.full((len(embeddings), 2), np.nan)
        ticks.append(time.perf_counter())
        self.last_timings = dict(zip(("classify", "neighbours", "landscape"), np.diff(ticks).tolist(), strict=True))
        default_labels = self.references.labels.get(self.default_label_set, [""] * len(self.references))
        results = []
        for i, embedding in enumerate(embeddings):
            probs = {
                name: dict(zip(self.classifiers[name].classes_, map(float, probabilities[name][i])))
                for name in self.classifiers
            }
            results.append(
                CellAnalysis(
                    labels={name: max(p, key=p.__getitem__) for name, p in probs.items()},
                    probabilities=probs,
                    neighbours=[
                        Neighbour(self.references.ids[j], default_labels[j], float(d))
                        for d, j in zip(distances[i], indices[i], strict=False)
                    ],
                    landscape=(float(coordinates[i, 0]), float(coordinates[i, 1])),
                    embedding=embedding,
                )
            )
        return results

    def quality_gate(self) -> QualityGate:
        """The usable-cell check of this bundle; a bundle stored without thresholds gets computed defaults."""
        if not hasattr(self, "_gate"):
            self._gate = gate_for(self.references.embeddings, self.quality)
        return self._gate

    def share_reference_embeddings(self) -> None:
        """Give the reference cells the embeddings the saved bundle will have: their rows of the support set.

        Saving stores a support cell's embedding once (see `_references_arrays`); anything computed
        from the reference embeddings before saving (the usable-cell check's distance) must see them.
        """
        rows = _support_rows(self.references, self.support)
        if rows is not None:
            assert self.support is not None
            self.references.embeddings = np.asarray(self.support.embeddings, np.float32)[rows]
            self.neighbour_index = None
            for cached in ("_ref_index", "_gate"):  # built from the old embeddings
                self.__dict__.pop(cached, None)

    def support_set(self) -> SupportSet:
        """The cells the bundle's classifiers were fitted on: the support member, else the reference cells."""
        if self.support is not None:
            return self.support
        return SupportSet(self.references.ids, self.references.labels, self.references.embeddings)

    def reference_thumbnail(self, reference_id: str) -> bytes:
        try:
            return self.references.thumbnails[self._reference_index()[reference_id]]
        except KeyError:
            raise KeyError(f"No reference cell {reference_id!r} in model {self.version}.") from None

    def _reference_index(self) -> dict[str, int]:
        if not hasattr(self, "_ref_index"):
            self._ref_index = {rid: i for i, rid in enumerate(self.references.ids)}
        return self._ref_index

    def _neighbours(self) -> NeighbourIndex:
        """Exact search below `EXACT_LIMIT` reference cells (as before); above it, the persisted HNSW graph."""
        if self.neighbour_index is None or len(self.neighbour_index) != len(self.references):
            self.neighbour_index = NeighbourIndex().add(self.references.embeddings)
        return self.neighbour_index

    def _landscape(self) -> Landscape:
        if not hasattr(self, "_map"):
            self._map = Landscape.from_map(
                self.references.embeddings, self.references.coordinates, search=self._neighbours()
            )
        return self._map

    @property
    def backend(self) -> str:
        """'tensorflow' or the OpenVINO variant ('fp32', 'bf16', 'int8') that `embed_prepared` uses."""
        return choose_backend(self.runtime, self.runtime_members, self.encoder_backend)

    def _runtime_encoder(self) -> RuntimeEncoder | None:
        backend = self.backend
        if backend == TENSORFLOW:
            return None
        cached = getattr(self, "_rt", None)
        if cached is None or cached.variant != backend:
            self._rt = RuntimeEncoder.from_members(self.runtime_members, backend)
        return self._rt

    def _encoder(self):
        """The encoder as one compiled graph function: eager Keras calls cost ~3x more per image."""
        if not hasattr(self, "_model"):
            try:
                import tensorflow as tf
            except ModuleNotFoundError:
                raise BundleError(
                    f"Model {self.version} has no OpenVINO encoder and TensorFlow is not installed here: add the "
                    "runtime with 'hemosight export-runtime', or install the training extra (pip install "
                    "'hemosight[train]')."
                ) from None

            from hemosight.ml.encoder import build_encoder

            size = self.preprocessing.input_size
            model = build_encoder(size, None, self.dropout, self.architecture)
            model.set_weights([w.astype(np.float32) for w in self.encoder_weights])
            self._model = model
            self._infer = tf.function(
                lambda x: model(x, training=False),
                input_signature=[tf.TensorSpec([None, size, size, 3], tf.float32)],
            )
        return self._infer

    # --- persistence -----------------------------------------------------------------
    def save(self, path: Path) -> Path:
        """Write atomically: a temporary file in the same folder, then a rename."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        members = {
            "encoder.npz": _npz({f"w{i:04d}": w.astype(np.float16) for i, w in enumerate(self.encoder_weights)}),
            "classifiers.npz": _npz(
                {k: v for name, clf in self.classifiers.items() for k, v in clf.to_arrays(name).items()}
            ),
            "references.npz": _npz(_references_arrays(self.references, self.support)),
        }
        if self._neighbours().approximate:
            members["neighbours.npz"] = self._neighbours().to_bytes()
        if self.support is not None:
            members["support.npz"] = _npz(
                {
                    "ids": np.asarray(self.support.ids),
                    "label_sets": np.asarray(list(self.support.labels)),
                    **dict(zip(("codes", "exponents"), encode_rows(self.support.embeddings), strict=True)),
                    **{f"labels/{name}": np.asarray(v) for name, v in self.support.labels.items()},
                }
            )
        members.update(self.runtime_members)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "version": self.version,
            "created": self.created,
            "preprocessing": self.preprocessing.to_dict(),
            "encoder": {"architecture": self.architecture, "embedding_dim": 1280, "dropout": self.dropout},
            "default_label_set": self.default_label_set,
            "label_sets": self.label_sets,
            "reference_count": len(self.references),
            "metrics": self.metrics,
            "credits": self.credits,
            **({"quality": self.quality} if self.quality else {}),
            **({"runtime": self.runtime} if self.runtime_members else {}),
            "checksums": {name: hashlib.sha256(data).hexdigest() for name, data in members.items()},
        }
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as archive:
                archive.writestr("manifest.json", json.dumps(manifest, indent=2))
                for name, data in members.items():
                    archive.writestr(name, data)
            os.chmod(tmp, 0o644)  # mkstemp creates 0600; a bundle is meant to be shared and served
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return path

    @classmethod
    def load(cls, path: Path) -> ModelBundle:
        path = Path(path)
        if not path.is_file():
            raise BundleError(f"Model bundle {path} does not exist.")
        manifest, members = read_members(path)
        try:
            weights_npz = np.load(io.BytesIO(members["encoder.npz"]), allow_pickle=False)
            weights = [weights_npz[k] for k in sorted(weights_npz.files)]
            clf_arrays = dict(np.load(io.BytesIO(members["classifiers.npz"]), allow_pickle=False))
            ref_arrays = dict(np.load(io.BytesIO(members["references.npz"]), allow_pickle=False))
            classifiers = {name: LabelSetClassifier.from_arrays(clf_arrays, name) for name in manifest["label_sets"]}
            support = _support_from_bytes(members["support.npz"]) if "support.npz" in members else None
            references = _references_from_arrays(ref_arrays, support)
            graph = members.get("neighbours.npz")
            neighbour_index = NeighbourIndex.from_bytes(graph) if graph is not None else None
        except (KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise BundleError(f"Model bundle {path} is damaged ({exc}); re-export or re-download it.") from None
        return cls(
            version=manifest["version"],
            preprocessing=Preprocessing.from_dict(manifest["preprocessing"]),
            encoder_weights=weights,
            classifiers=classifiers,
            default_label_set=manifest["default_label_set"],
            references=references,
            metrics=manifest.get("metrics", {}),
            credits=manifest.get("credits", []),
            quality=manifest.get("quality", {}),
            created=manifest["created"],
            dropout=manifest["encoder"]["dropout"],
            architecture=manifest["encoder"].get("architecture", "EfficientNetV2-B0"),
            neighbour_index=neighbour_index,
            support=support,
            runtime_members={name: members[name] for name in RUNTIME_MEMBERS if name in members},
            runtime=manifest.get("runtime", {}),
        )


def read_manifest(path: Path) -> dict[str, Any]:
    """The verified manifest alone (cheap enough for listing model versions)."""
    return read_members(Path(path))[0]


def read_members(path: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Open a bundle and check format, version and every member's checksum."""
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read("manifest.json"))
            if manifest.get("format") != FORMAT:
                raise BundleError(f"{path} is not a HemoSight model bundle.")
            version = manifest.get("format_version")
            if version != FORMAT_VERSION:
                raise BundleError(
                    f"{path} is bundle format {version}; this HemoSight reads format {FORMAT_VERSION}. "
                    "Upgrade HemoSight or re-export the model."
                )
            members = {name: archive.read(name) for name in MEMBERS}
            for name in OPTIONAL_MEMBERS:  # read when the manifest lists it; its checksum is checked below
                if name in manifest["checksums"]:
                    members[name] = archive.read(name)
    except BundleError:
        raise
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, EOFError, OSError) as exc:
        raise BundleError(f"{path} is truncated or not a model bundle ({exc}).") from None
    for name, data in members.items():
        if hashlib.sha256(data).hexdigest() != manifest["checksums"].get(name):
            raise BundleError(f"{path}: checksum of {name} does not match; the file was altered or damaged.")
    return manifest, members


def bundle_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _npz(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, allow_pickle=False, **arrays)
    return buffer.getvalue()


def _support_rows(refs: References, support: SupportSet | None) -> np.ndarray | None:
    """Each reference cell's row in the support set, or None unless every reference cell is a support cell."""
    if support is None or len(support) == 0:
        return None
    row_of = {cell: i for i, cell in enumerate(support.ids)}
    if not all(cell in row_of for cell in refs.ids):
        return None
    return np.array([row_of[cell] for cell in refs.ids], np.int64)


def _references_arrays(refs: References, support: SupportSet | None = None) -> dict[str, np.ndarray]:
    """The reference member; when every reference cell is in the support set, its embeddings are the support's rows.

    The reference cells are a sample of the support cells, so storing their embeddings twice cost
    a V2-B0 bundle 8 MB of its 40 MB budget; `embedding_rows` points into the support member instead.
    """
    lengths = np.array([len(t) for t in refs.thumbnails], np.int64)
    rows = _support_rows(refs, support)
    embedding = {"embedding_rows": rows} if rows is not None else {"embeddings": refs.embeddings.astype(np.float16)}
    arrays = {
        "ids": np.asarray(refs.ids),
        "label_sets": np.asarray(list(refs.labels)),
        **embedding,
        "coordinates": refs.coordinates.astype(np.float32),
        "thumbnail_bytes": np.frombuffer(b"".join(refs.thumbnails), np.uint8),
        "thumbnail_lengths": lengths,
    }
    for name, values in refs.labels.items():
        arrays[f"labels/{name}"] = np.asarray(values)
    return arrays


def _support_from_bytes(data: bytes) -> SupportSet:
    arrays = dict(np.load(io.BytesIO(data), allow_pickle=False))
    return SupportSet(
        ids=[str(i) for i in arrays["ids"]],
        labels={str(n): [str(v) for v in arrays[f"labels/{n}"]] for n in arrays["label_sets"]},
        # Bundles before the int8 codes stored float16 embeddings.
        embeddings=decode_rows(arrays["codes"], arrays["exponents"]) if "codes" in arrays else arrays["embeddings"],
    )


def _references_from_arrays(arrays: dict[str, np.ndarray], support: SupportSet | None) -> References:
    blob = arrays["thumbnail_bytes"].tobytes()
    offsets = np.concatenate([[0], np.cumsum(arrays["thumbnail_lengths"])])
    if "embedding_rows" in arrays:
        if support is None:
            raise ValueError("the reference cells' embeddings point into a support member the bundle lacks")
        embeddings = np.asarray(support.embeddings, np.float32)[arrays["embedding_rows"]]
    else:
        embeddings = arrays["embeddings"].astype(np.float32)
    return References(
        ids=[str(i) for i in arrays["ids"]],
        labels={str(n): [str(v) for v in arrays[f"labels/{n}"]] for n in arrays["label_sets"]},
        embeddings=embeddings,
        coordinates=arrays["coordinates"],
        thumbnails=[blob[offsets[i] : offsets[i + 1]] for i in range(len(offsets) - 1)],
    )
