"""Second phase of scripts/train_default.py: from trained encoder weights to the shipped bundle.

Fits the classifiers of every label set on the training split, measures them on the
held-out split (cells neither the encoder nor the classifiers saw), fits the landscape
on a stratified reference subset and writes the bundle plus a metrics JSON for
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from hemosight.ml.builder import assemble_bundle, fit_classifiers, stratified_reference_rows, support_of, thumbnail
from hemosight.ml.bundle import PBC_CREDIT, WBCATT_CREDIT, ModelBundle
from hemosight.ml.classifiers import LabelSetClassifier
from hemosight.ml.data import WBCATT_ATTRIBUTES, LabelTable
from hemosight.ml.encoder import LITE0, V2_B0, build_encoder
from hemosight.ml.evaluation import classification_report, cross_validate
from hemosight.ml.imageio import decode_image
from hemosight.ml.preprocessing import Preprocessing
from hemosight.ml.pretrained import LITE0_CREDIT
from hemosight.ml.quality import gate_for

REFERENCES_PER_CLASS = 400


def load_run_encoder(weights_file: Path, input_size: int, architecture: str = V2_B0):  # -> keras.Model
    """A training run's encoder, built once: embedding and bundling share it."""
    encoder = build_encoder(input_size, architecture=architecture)
    encoder.load_weights(weights_file)
    return encoder


def embed_with(encoder, images: np.ndarray, batch: int = 64) -> np.ndarray:  # encoder: keras.Model
    """Embed in batches of 64, a quarter of the activation memory of 256: batches of 256 at 160 px grew one
    benchmark to 14 GB, which the kernel killed beside a training run."""
    batches = [images[i : i + batch] for i in range(0, len(images), batch)]
    return np.concatenate([np.asarray(encoder(np.asarray(b, np.float32), training=False)) for b in batches])


def embed_all(
    weights_file: Path, images: np.ndarray, input_size: int, batch: int = 64, architecture: str = V2_B0
) -> np.ndarray:
    return embed_with(load_run_encoder(weights_file, input_size, architecture), images, batch)


def training_labels(table: LabelTable, train_rows: np.ndarray, names: Iterable[str]) -> dict[str, list[str]]:
    """The label sets `names` with every cell outside the training split unlabelled ("")."""
    in_train = np.zeros(len(table.paths), bool)
    in_train[train_rows] = True
    return {name: [v if in_train[i] else "" for i, v in enumerate(table.label_sets[name])] for name in names}


def held_out_scores(embeddings: np.ndarray, table: LabelTable, test: np.ndarray, bundle: ModelBundle) -> dict:
    """Cell type and attribute scores of the bundle's classifiers on the held-out rows."""
    scores: dict = {}
    for name, clf in bundle.classifiers.items():
        values = np.asarray(table.label_sets[name])
        rows = test[values[test] != ""]
        if len(rows) == 0:
            continue
        report = classification_report(values[rows], clf.predict(embeddings[rows]), clf.classes_)
        keys = ("n", "macro_f1", "macro_precision", "macro_recall", "accuracy", "per_class")
        scores[name] = {k: report[k] for k in keys}
        if name == "cell_type":
            scores[name]["confusion_matrix"] = report["confusion_matrix"]
            scores[name]["classes"] = report["classes"]
    attributes = [scores[a]["macro_f1"] for a in WBCATT_ATTRIBUTES if a in scores]
    scores["attributes_mean_macro_f1"] = float(np.mean(attributes)) if attributes else None
    return scores


def build_default_bundle(
    table: LabelTable,
    images: np.ndarray,
    train_rows: np.ndarray,
    test_rows: np.ndarray,
    preprocessing: Preprocessing,
    run: Path,
    out: Path,
) -> Path:
    started = time.monotonic()
    config = json.loads((run / "checkpoints" / "config.json").read_text())
    architecture = config.get("architecture", V2_B0)
    encoder = load_run_encoder(run / "encoder.weights.h5", preprocessing.input_size, architecture)
    embeddings = embed_with(encoder, images)
    np.save(run / "embeddings.npy", embeddings.astype(np.float16))
    train_labels = training_labels(table, train_rows, table.label_sets)
    reference_rows = stratified_reference_rows(train_labels["cell_type"], REFERENCES_PER_CLASS)
    thumbnails_source = np.zeros_like(images)
    for i in reference_rows:
        thumbnails_source[i] = np.asarray(_resize_like(decode_image(table.paths[i].read_bytes()), images.shape[1]))
    bundle = assemble_bundle(
        version=f"pbc-{preprocessing.input_size}px-{config['objective']}-{time.strftime('%Y%m%d')}",
        preprocessing=preprocessing,
        encoder_weights=encoder.get_weights(),
        embeddings=embeddings,
        label_sets=train_labels,
        ids=[p.name for p in table.paths],
        prepared_images=thumbnails_source,
        reference_rows=reference_rows,
        metrics={"training": config},
        credits=[PBC_CREDIT, WBCATT_CREDIT, *([LITE0_CREDIT] if architecture == LITE0 else [])],
        architecture=architecture,
    )
    # Reference labels are the full labels of the reference cells (all come from the training split).
    bundle.references.labels = {name: [table.label_sets[name][i] for i in reference_rows] for name in table.label_sets}
    # Measure with the float16 weights the bundle actually ships.
    bundle.save(out)
    shipped = ModelBundle.load(out)
    shipped_embeddings = shipped.embed_prepared(images)
    held_out = held_out_scores(shipped_embeddings, table, test_rows, shipped)
    cell_type = np.asarray(table.label_sets["cell_type"])
    cv = cross_validate(shipped_embeddings[test_rows], cell_type[test_rows], folds=5)
    shipped.metrics = {
        "training": config,
        "held_out": held_out,
        "held_out_cv_5fold_cell_type": cv,
        "split": {"train": len(train_rows), "test": len(test_rows), "seed": 0},
        "references": len(reference_rows),
    }
    shipped.save(out)
    summary = {
        "bundle": str(out),
        "bytes": out.stat().st_size,
        "version": shipped.version,
        "held_out_cell_type_macro_f1": held_out["cell_type"]["macro_f1"],
        "held_out_attributes_mean_macro_f1": held_out["attributes_mean_macro_f1"],
        "held_out_cv_5fold": {"mean": cv["mean"], "std": cv["std"]},
        "seconds": time.monotonic() - started,
    }
    (run / "bundle-metrics.json").write_text(json.dumps(shipped.metrics | {"summary": summary}, indent=2))
    print(json.dumps(summary, indent=2))
    return out


def refit_bundle_classifiers(
    table: LabelTable,
    train_rows: np.ndarray,
    test_rows: np.ndarray,
    bundle_path: Path,
    out: Path,
    version: str,
    keep: Sequence[str] = (),
    choose_c: bool = False,
) -> Path:
    """Refit a bundle's label-set classifiers on the training split with its own encoder and re-measure them.

    For a change to the classifiers alone (e.g. class balance, calibration, a new label set in the
    data such as subtype): the encoder, its runtime
    members, the references and the landscape stay as they are, so it takes minutes, not a
    training round. Cells are embedded by the encoder the bundle runs (int8 when it ships
    one), so the classifiers are fitted on the embeddings they will see in the worker.

    `keep`: label sets whose classifier stays the source bundle's as it is (e.g. a cell-type classifier
    that measured better than the refit); `choose_c`: each label set's C by cross-validation on its
    training cells (hemosight.ml.builder.choose_regularisation).
    """
    from hemosight.ml.data import load_images

    started = time.monotonic()
    bundle = ModelBundle.load(bundle_path)
    images = load_images(table.paths, bundle.preprocessing, cache_dir=Path(".cache"))
    embeddings = bundle.embed_prepared(np.asarray(images))
    ids = [p.name for p in table.paths]
    # Every label set the data has (a new one, e.g. subtype, joins the bundle), fitted on the training split.
    train_labels = training_labels(table, train_rows, table.label_sets)
    source = dict(bundle.classifiers)
    refit = {name: values for name, values in train_labels.items() if name not in keep}
    bundle.classifiers = fit_classifiers(embeddings, refit, ids, choose_c=choose_c)
    for name in keep:
        bundle.classifiers[name] = with_recipe_verdicts(source[name], embeddings, train_labels[name], ids)
    bundle.classifiers = {name: bundle.classifiers[name] for name in train_labels if name in bundle.classifiers}
    row_of = {name: i for i, name in enumerate(ids)}
    bundle.references.labels = {
        name: [values[row_of[r]] if r in row_of else "" for r in bundle.references.ids]
        for name, values in table.label_sets.items()
    }
    _, bundle.support = support_of(embeddings, train_labels, ids)  # the worker's refits start from these cells
    bundle.share_reference_embeddings()  # the references' embeddings as saved: their support rows
    bundle.quality = gate_for(bundle.references.embeddings, None).to_dict()  # usable-cell check thresholds
    held_out = held_out_scores(embeddings, table, test_rows, bundle)
    cell_type = np.asarray(table.label_sets["cell_type"])
    previous = bundle.version
    bundle.version = version
    bundle.metrics = bundle.metrics | {
        "held_out": held_out,
        "held_out_cv_5fold_cell_type": cross_validate(embeddings[test_rows], cell_type[test_rows], folds=5),
        "classifiers_refitted": {
            "from_version": previous,
            "encoder_backend": bundle.backend,
            "kept": list(keep),
            "C": {name: float(clf.C) for name, clf in bundle.classifiers.items()},
        },
    }
    bundle.save(out)
    summary = {
        "bundle": str(out),
        "version": version,
        "from_version": previous,
        "held_out_cell_type_macro_f1": held_out["cell_type"]["macro_f1"],
        "held_out_attributes_mean_macro_f1": held_out["attributes_mean_macro_f1"],
        "held_out_cv_5fold": {k: bundle.metrics["held_out_cv_5fold_cell_type"][k] for k in ("mean", "std")},
        "seconds": time.monotonic() - started,
    }
    print(json.dumps(summary, indent=2))
    return out


def with_recipe_verdicts(
    kept: LabelSetClassifier, embeddings: np.ndarray, labels: Sequence[str], ids: Sequence[str]
) -> LabelSetClassifier:
    """A kept classifier with the held-out verdicts of the recipe on the same support cells, as a stand-in.

    A classifier stored without cross-validated verdicts is judged by its own predictions on cells it was
    fitted on, so the worker's score gate would refuse every lab refit of its label set. The recipe's
    verdicts on the support set (the same cells, folds keyed by id) are the fair comparison; the kept
    classifier's predictions and probabilities stay exactly as they were.
    """
    [(_, recipe)] = fit_classifiers(embeddings, {"kept": labels}, ids).items()
    kept.support_keys_, kept.support_labels_, kept.cv_correct_ = (
        recipe.support_keys_,
        recipe.support_labels_,
        recipe.cv_correct_,
    )
    return kept


def _resize_like(image: np.ndarray, size: int) -> np.ndarray:
    from hemosight.ml.preprocessing import resize

    side = min(image.shape[:2])
    top, left = (image.shape[0] - side) // 2, (image.shape[1] - side) // 2
    return resize(image[top : top + side, left : left + side], size)


__all__ = ["build_default_bundle", "refit_bundle_classifiers", "thumbnail"]
