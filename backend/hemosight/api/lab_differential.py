"""The lab differential: which cells count, under which label, and the numbers a haematology lab reports.

`counted_cells` is the one rule for "the cells the differential counts": the results grid marks the same
cells (`ImageSummary.counted`, `lab_label`) through it, so filtering the grid by a class shows exactly the
cells the differential counts under that class. A cell counts when it is classified and not flagged by the
usable-cell check, or flagged but confirmed or labelled by a person; it counts under the lab's label
(a person's correction or confirmation) when there is one, else under the prediction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from hemosight.api.lab_classes import category, display_name
from hemosight.api.schemas import LabClassCount, LabDifferentialPublic
from hemosight.core.store.base import CellLabel, ImageEntry, Project


@dataclass(frozen=True)
class CountedCell:
    image_id: str
    lab_label: str
    predicted: str
    reviewed: bool
    model_version: str


def lab_label(entry: ImageEntry, label_set: str, reviewed: Mapping[str, CellLabel]) -> str | None:
    """The label the lab counts `entry` under in `label_set`: the person's, else the model's (None if neither)."""
    own = reviewed.get(entry.image.id)
    if own is not None:
        return own.label
    return entry.result.labels.get(label_set) if entry.result else None


def is_counted(entry: ImageEntry, reviewed: Mapping[str, CellLabel], confirmed: Iterable[str] | Mapping) -> bool:
    """Classified, and usable (or flagged but confirmed or labelled by a person: a label is a confirmation)."""
    result = entry.result
    if result is None:
        return False
    return result.unusable is None or entry.image.id in confirmed or entry.image.id in reviewed


def counted_cells(
    entries: Iterable[ImageEntry], label_set: str, reviewed: Mapping[str, CellLabel], confirmed: Mapping[str, str]
) -> tuple[list[CountedCell], int, int]:
    """(counted cells, cells left out as unusable, cells not classified yet)."""
    cells, unusable, unclassified = [], 0, 0
    for entry in entries:
        if entry.result is None:
            unclassified += 1
            continue
        if not is_counted(entry, reviewed, confirmed):
            unusable += 1
            continue
        label = lab_label(entry, label_set, reviewed)
        if label is None:  # neither predicted nor labelled in this label set
            continue
        cells.append(
            CountedCell(
                image_id=entry.image.id,
                lab_label=label,
                predicted=entry.result.labels.get(label_set, ""),
                reviewed=entry.image.id in reviewed,
                model_version=entry.result.model_version,
            )
        )
    return cells, unusable, unclassified


def lab_differential(
    project: Project,
    entries: list[ImageEntry],
    label_set: str,
    classes: Iterable[str],
    reviewed: Mapping[str, CellLabel],
    confirmed: Mapping[str, str],
) -> LabDifferentialPublic:
    """Percentages of white cells only; platelets and NRBC apart (NRBC per 100 white cells); absolute counts
    (×10⁹/L) when the case has a WBC count; every class of the label set listed, with 0 when absent."""
    cells, unusable, unclassified = counted_cells(entries, label_set, reviewed, confirmed)
    counts = Counter(c.lab_label for c in cells)
    reviewed_counts = Counter(c.lab_label for c in cells if c.reviewed)
    white = sum(n for code, n in counts.items() if category(code) == "wbc")
    codes = list(dict.fromkeys([*classes, *sorted(counts)]))
    rows = []
    for code in codes:
        kind = category(code)
        share = 100.0 * counts[code] / white if kind == "wbc" and white else (0.0 if kind == "wbc" else None)
        absolute = (
            round(counts[code] / white * project.wbc_count, 2)
            if kind == "wbc" and white and project.wbc_count is not None
            else None
        )
        rows.append(
            LabClassCount(
                code=code,
                name=display_name(code),
                category=kind,
                count=counts[code],
                reviewed=reviewed_counts[code],
                not_reviewed=counts[code] - reviewed_counts[code],
                percentage=round(share, 1) if share is not None else None,
                absolute=absolute,
            )
        )
    order = {"wbc": 0, "nrbc": 1, "platelet": 2}
    rows.sort(key=lambda r: (order[r.category], -r.count, r.name))
    nrbc = sum(r.count for r in rows if r.category == "nrbc")
    return LabDifferentialPublic(
        project_id=project.id,
        label_set=label_set,
        model_versions=sorted({c.model_version for c in cells}),
        wbc_count=project.wbc_count,
        white_cells=white,
        classes=rows,
        platelets=sum(r.count for r in rows if r.category == "platelet"),
        nrbc=nrbc,
        nrbc_per_100_wbc=round(100.0 * nrbc / white, 1) if white else None,
        reviewed=sum(1 for c in cells if c.reviewed),
        not_reviewed=sum(1 for c in cells if not c.reviewed),
        unusable=unusable,
        unclassified=unclassified,
        status=project.status,  # type: ignore[arg-type]
    )
