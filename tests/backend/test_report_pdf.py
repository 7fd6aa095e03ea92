"""The PDF report's layout: text a user or a model registry chose stays on the page however long it is."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from hemosight.api.report_pdf import FlaggedCell, render_report, wrap_lines
from hemosight.api.schemas import LabClassCount, LabDifferentialPublic
from hemosight.core.store.base import Project

#: A 120-character version with no space to break at, as a registry that appends build metadata may name it.
LONG_VERSION = "hemosight-pbc-convnext-large-lab-adapted-2026.11.30-rc7+build.20261130T235959Z.sha256." + "0" * 34


def _differential(version: str) -> LabDifferentialPublic:
    neutrophils = LabClassCount(
        code="neutrophil", name="Neutrophil", category="wbc", count=3, reviewed=1, not_reviewed=2,
        percentage=100.0, absolute=None,
    )  # fmt: skip
    return LabDifferentialPublic(
        project_id="p", label_set="cell_type", model_versions=[version], wbc_count=None, white_cells=3,
        classes=[neutrophils], platelets=0, nrbc=0, nrbc_per_100_wbc=0.0, reviewed=1, not_reviewed=2,
        unusable=0, unclassified=0, status="in_review",
    )  # fmt: skip


def _drawn_text(pdf: bytes) -> tuple[float, list[tuple[str, float, float]]]:
    """(page width, [(text, left x, right x)]) of every string drawn on the page, measured with its own font."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    drawn: list[tuple[str, float, float]] = []

    def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        if not text.strip() or font is None:
            return
        x = tm[4] * cm[0] + cm[4]
        width = stringWidth(text, str(font["/BaseFont"]).lstrip("/"), size * tm[0] * cm[0])
        drawn.append((text, x, x + width))

    page.extract_text(visitor_text=visit)
    return float(page.mediabox.width), drawn


def test_a_120_character_model_version_stays_within_the_page() -> None:
    assert len(LONG_VERSION) == 120
    project = Project(
        name="Case " + "with a very long name " * 5, owner_id="u", specimen_id="S" * 80, analyser="XN-" + "9" * 70,
        note="Left shift? " * 30,
    )  # fmt: skip
    flagged = [FlaggedCell("cell.png", "immature_granulocyte_with_a_long_code", "check: " + "x" * 60, None)]
    pdf = render_report(project, _differential(LONG_VERSION), flagged, None)
    page_width, drawn = _drawn_text(pdf)
    assert drawn, "no text found on the page"
    overflowing = [(text, round(right / mm, 1)) for text, _, right in drawn if right > page_width - 10 * mm]
    assert overflowing == [], "text runs into the right margin or past the page edge"
    assert all(left >= 10 * mm for _, left, _ in drawn)
    # the whole version is printed, over more than one line, rather than cut
    assert LONG_VERSION in "".join(text.strip() for text, _, _ in drawn)
    assert len([text for text, _, _ in drawn if text.strip() and text.strip() in LONG_VERSION]) >= 2


def test_wrapping_breaks_after_separators_and_cuts_what_does_not_fit() -> None:
    lines = wrap_lines("model-2026.11-release", 60, 9)
    assert "".join(lines) == "model-2026.11-release" and len(lines) > 1
    assert all(stringWidth(line, "Helvetica", 9) <= 60 for line in lines)
    assert lines[0].endswith(("-", "."))  # broken after a separator, not inside a word
    cut = wrap_lines("x" * 500, 100, 9, max_lines=2)
    assert len(cut) == 2 and cut[-1].endswith("...") and stringWidth(cut[-1], "Helvetica", 9) <= 100
