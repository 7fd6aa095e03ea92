"""`hemosight train`: self-supervised encoder on all images, classifiers on the labelled ones."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from hemosight.ml.errors import HemosightError


def run(args: argparse.Namespace) -> int:
    from hemosight.ml.builder import assemble_bundle, stratified_reference_rows
    from hemosight.ml.data import load_images, read_label_table
    from hemosight.ml.evaluation import cross_validate
    from hemosight.ml.preprocessing import Preprocessing
    from hemosight.ml.training import TrainConfig, limit_threads, train_encoder

    table = read_label_table(args.data, args.images)
    if args.label_set not in table.label_sets:
        raise HemosightError(
            f"{args.data} has no column {args.label_set!r} (the label set for the default classifier)."
        )
    missing = [str(p) for p in table.paths if not Path(p).is_file()]
    if missing:
        raise HemosightError(f"{len(missing)} image files listed in {args.data} do not exist, e.g. {missing[0]}.")
    limit_threads(args.threads)
    preprocessing = Preprocessing(input_size=args.input_size)
    print(f"preparing {len(table.paths)} images at {args.input_size} px …")
    images = np.asarray(load_images(table.paths, preprocessing, cache_dir=Path(".cache")))
    values = table.label_sets[args.label_set]
    classes = table.classes(args.label_set)
    labels = np.array([classes.index(v) if v else -1 for v in values])
    config = TrainConfig(
        input_size=args.input_size,
        epochs=args.epochs,
        batch_images=args.batch_images,
        learning_rate=args.learning_rate,
        objective=args.objective,
        weights=args.weights,
        batch_norm=args.batch_norm,
        seed=args.seed,
    )
    checkpoints = args.checkpoints or args.out.with_suffix(".checkpoints")
    encoder = train_encoder(images, config, checkpoints, labels=labels if args.objective != "ssl" else None)

    embeddings = np.concatenate(
        [
            np.asarray(encoder(images[i : i + 128].astype(np.float32), training=False))
            for i in range(0, len(images), 128)
        ]
    )
    labelled = table.labelled(args.label_set)
    metrics = {
        "objective": args.objective,
        "input_size": args.input_size,
        "epochs": args.epochs,
        "training_images": len(images),
    }
    smallest_class = int(np.bincount(labels[labelled]).min()) if len(labelled) else 0
    if smallest_class >= 2:
        metrics[f"cv_macro_f1_{args.label_set}"] = cross_validate(
            embeddings[labelled], [values[i] for i in labelled], folds=min(5, smallest_class)
        )
    bundle = assemble_bundle(
        version=args.version or args.out.stem,
        preprocessing=preprocessing,
        encoder_weights=encoder.get_weights(),
        embeddings=embeddings,
        label_sets=table.label_sets,
        ids=[Path(p).name for p in table.paths],
        prepared_images=images,
        reference_rows=stratified_reference_rows(values, args.references_per_class, seed=args.seed),
        default_label_set=args.label_set,
        metrics=metrics,
    )
    bundle.save(args.out)
    print(f"wrote {args.out} (model version {bundle.version})")
    return 0
