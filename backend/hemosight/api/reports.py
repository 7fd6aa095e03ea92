"""Project-level summaries of the results: the differential count and its CSV form."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from hemosight.api.csv_cells import SafeCsvWriter
from hemosight.api.lab_classes import display_name
from hemosight.api.schemas import ClassCount, DifferentialCountPublic
from hemosight.core.store.base import CellLabel, ImageEntry, Result


def differential_count(
    results: Iterable[Result],
    label_set: str,
    classes: Sequence[str] = (),
    reviewed: Mapping[str, str] | None = None,
) -> DifferentialCountPublic:
    """Count and percentage of each class among the classified cells; classes of the label set with no cells show 0.

    Every class, platelets and erythroblasts included, is a share of all counted cells here; the lab differential
    (`GET /projects/{id}/lab-differential`, lab_differential.py) reports white cells apart as a lab does.

    A cell a reviewer has labelled counts under the reviewer's label, not the model's prediction: the
    differential count a lab reports is the reviewed one.
    """
    reviewed = reviewed or {}
    counts = Counter(
        reviewed.get(r.image_id) or r.labels[label_set]
        for r in results
        if label_set in r.labels or r.image_id in reviewed
    )
    total = sum(counts.values())
    names = list(dict.fromkeys([*classes, *sorted(counts)]))
    names.sort(key=lambda name: (-counts[name], name))
    return DifferentialCountPublic(
        label_set=label_set,
        total=total,
        classes=[
            ClassCount(
                label=name,
                name=display_name(name),
                count=counts[name],
                percentage=round(100.0 * counts[name] / total, 1) if total else 0.0,
            )
            for name in names
        ],
    )


def differential_count_csv(count: DifferentialCountPublic) -> str:
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer, lineterminator="\n")
    writer.writerow([count.label_set, "count", "percentage"])
    for row in count.classes:
        writer.writerow([row.label, row.count, f"{row.percentage:.1f}"])
    writer.writerow(["total", count.total, "100.0" if count.total else "0.0"])
    return buffer.getvalue()


def results_csv(
    entries: Sequence[ImageEntry], label_set: str, reviewed: Mapping[str, CellLabel], usernames: Mapping[str, str]
) -> str:
    """One row per image: the model's prediction and the lab's label (a person's, else the prediction) in separate
    columns, each as code and as the lab's class name, who reviewed it and when, then the prediction in every
    label set (for a lab's own analysis)."""
    label_sets = sorted({name for e in entries if e.result for name in e.result.labels})
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer, lineterminator="\n")
    writer.writerow(
        [
            "filename",
            "image_id",
            "status",
            "predicted_label",
            "predicted_class",
            "confidence",
            "lab_label",
            "lab_class",
            "reviewed_by",
            "reviewed_at",
            "model_version",
            *label_sets,
            "error",
        ]
    )
    for entry in entries:
        result = entry.result
        predicted = result.labels.get(label_set, "") if result else ""
        own = reviewed.get(entry.image.id)
        lab = own.label if own else predicted
        writer.writerow(
            [
                entry.image.filename,
                entry.image.id,
                entry.job.status,
                predicted,
                display_name(predicted) if predicted else "",
                f"{result.probabilities.get(label_set, {}).get(predicted, 0.0):.4f}" if result else "",
                lab,
                display_name(lab) if lab else "",
                usernames.get(own.user_id, own.user_id) if own else "",
                own.updated_at.isoformat() if own else "",
                result.model_version if result else "",
                *[(result.labels.get(name, "") if result else "") for name in label_sets],
                entry.job.error or "",
            ]
        )
    return buffer.getvalue()
