"""Train the default model bundle that ships with HemoSight, resumably, on the PBC data (benchmarks/datasets.py).

Phase `encoder` trains the encoder (call again to resume after an interruption);
phase `bundle` embeds the data, fits the classifiers and the landscape, measures the
held-out macro F1 and writes the bundle. The held-out split (20 %, stratified by
cell type, seed 0) is never seen by either phase's training.

    python -m scripts.train_default encoder --run runs/default --objective ssl+labels --minutes 80
    python -m scripts.train_default encoder --run runs/default-128 --input-size 128 --epochs 6 \
        --learning-rate 5e-4 --warmup-steps 100 --continue-from runs/default/encoder.weights.h5
    python -m scripts.train_default bundle --run runs/default --out models/hemosight/ml/default/hemosight-default.hsb
    python -m scripts.train_default classifiers --bundle models/hemosight/ml/default/hemosight-default.hsb \
        --version NEW_VERSION --out models/hemosight/ml/default/hemosight-default.hsb

Phase `distil` gives EfficientNetV2-B0 an ImageNet-like start without a download: a from-scratch
V2-B0 learns the ImageNet Lite0 embeddings of the unlabelled training cells (hemosight.ml.distillation);
phase `encoder --weights RUN/encoder.weights.h5` then runs the self-supervised recipe from it.

    python -m scripts.train_default distil --run runs/v2b0-distil --input-size 128 --epochs 3 --batch-images 32

Phase `classifiers` refits an existing bundle's label-set classifiers on the training split
(after a change to the classifiers alone) and re-measures them; the encoder is untouched.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from benchmarks.datasets import PBC_DIR
from hemosight.core.settings import Settings
from hemosight.ml.cli import DEFAULT_BUNDLE
from hemosight.ml.data import load_images, read_label_table, stratified_split
from hemosight.ml.preprocessing import Preprocessing
from hemosight.ml.training import BATCH_NORM

DATA = PBC_DIR
TEST_FRACTION = 0.2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("phase", choices=["distil", "encoder", "bundle", "classifiers"])
    parser.add_argument("--run", type=Path, default=Path("runs/default"))
    parser.add_argument("--objective", default="ssl+labels")
    parser.add_argument("--input-size", type=int, default=96)
    parser.add_argument("--epochs", type=int, default=14)
    parser.add_argument("--batch-images", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--minutes", type=float, default=None)
    parser.add_argument("--warmup-steps", type=int, default=300)
    parser.add_argument("--continue-from", default=None, help="a previous run's encoder.weights.h5 (second round)")
    parser.add_argument("--architecture", default="EfficientNetV2-B0", help="EfficientNetV2-B0 or EfficientNet-Lite0")
    parser.add_argument("--weights", default=None, help="pretrained start: imagenet or a Keras weights file")
    parser.add_argument("--head-dim", type=int, default=None, help="projection head for the triplet loss")
    parser.add_argument("--augmentation", default="paper", help="paper or robust")
    parser.add_argument(
        "--batch-norm", choices=BATCH_NORM, default="trainable", help="frozen keeps the start's statistics"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--teacher-size", type=int, default=160, help="phase distil: the Lite0 teacher's input size")
    parser.add_argument("--out", type=Path, default=DEFAULT_BUNDLE)
    parser.add_argument("--bundle", type=Path, help="phase classifiers: the bundle whose classifiers to refit")
    parser.add_argument("--version", help="phase classifiers: the refitted bundle's new version name")
    parser.add_argument(
        "--keep-classifiers", nargs="*", default=[], help="phase classifiers: label sets whose classifier stays as is"
    )
    parser.add_argument("--choose-c", action="store_true", help="phase classifiers: C per label set by 5-fold CV")
    args = parser.parse_args()

    table = read_label_table(DATA / "labels.csv")
    train_rows, test_rows = stratified_split(table.label_sets["cell_type"], TEST_FRACTION, seed=0)
    if args.phase == "classifiers":
        from scripts.build_bundle import refit_bundle_classifiers

        if args.bundle is None or not args.version:
            parser.error("phase classifiers needs --bundle and --version")
        refit_bundle_classifiers(
            table, train_rows, test_rows, args.bundle, args.out, args.version, args.keep_classifiers, args.choose_c
        )
        return
    args.run.mkdir(parents=True, exist_ok=True)
    (args.run / "split.json").write_text(json.dumps({"train": train_rows.tolist(), "test": test_rows.tolist()}))
    preprocessing = Preprocessing(input_size=args.input_size)
    images = load_images(table.paths, preprocessing, cache_dir=Path(".cache"))

    if args.phase == "distil":
        distil(args, table.paths, images, train_rows)
    elif args.phase == "encoder":
        from hemosight.ml.training import TrainConfig, limit_threads, train_encoder

        limit_threads(Settings().threads)
        classes = table.classes("cell_type")
        labels = np.array([classes.index(v) for v in table.label_sets["cell_type"]])
        config = TrainConfig(
            input_size=args.input_size,
            epochs=args.epochs,
            batch_images=args.batch_images,
            learning_rate=args.learning_rate,
            warmup_steps=args.warmup_steps,
            objective=args.objective,
            continue_from=args.continue_from,
            architecture=args.architecture,
            weights=args.weights,
            head_dim=args.head_dim,
            augmentation=args.augmentation,
            batch_norm=args.batch_norm,
            seed=args.seed,
        )
        model = train_encoder(
            np.asarray(images[train_rows]),
            config,
            args.run / "checkpoints",
            labels=labels[train_rows],
            max_minutes=args.minutes,
        )
        model.save_weights(args.run / "encoder.weights.h5")
    else:
        from scripts.build_bundle import build_default_bundle

        build_default_bundle(table, images, train_rows, test_rows, preprocessing, args.run, args.out)


def distil(args: argparse.Namespace, paths: list[Path], images: np.ndarray, train_rows: np.ndarray) -> None:
    """Phase distil: a from-scratch EfficientNetV2-B0 learns the ImageNet Lite0 features of the training cells."""
    from hemosight.ml.distillation import DistillConfig, agreement, distil_encoder, teacher_features
    from hemosight.ml.training import limit_threads

    limit_threads(Settings().threads)
    targets_file = args.run / f"teacher-lite0-{args.teacher_size}.npy"
    if not targets_file.exists():
        teacher_images = load_images(paths, Preprocessing(input_size=args.teacher_size), cache_dir=Path(".cache"))
        np.save(targets_file, teacher_features(np.asarray(teacher_images[train_rows])))
    targets = np.load(targets_file)
    config = DistillConfig(
        input_size=args.input_size,
        epochs=args.epochs,
        batch_images=args.batch_images,
        learning_rate=args.learning_rate,
        warmup_steps=args.warmup_steps,
        augmentation=args.augmentation,
        seed=args.seed,
    )
    train_images = np.asarray(images[train_rows])
    student = distil_encoder(train_images, targets, config, args.run / "checkpoints", max_minutes=args.minutes)
    student.save_weights(args.run / "encoder.weights.h5")
    rng = np.random.default_rng(0)
    sample = np.sort(rng.choice(len(train_images), size=min(512, len(train_images)), replace=False))
    student_embeddings = student.predict(train_images[sample].astype(np.float32), batch_size=64, verbose=0)
    cosine = agreement(student_embeddings, targets[sample])
    print(f"student-teacher cosine on {len(sample)} training cells: {cosine:.3f}")


if __name__ == "__main__":
    main()
