"""The printable case report as PDF: one A4 page per case, drawn with ReportLab (BSD licence, pure Python).

Header (case details), the lab differential table, the flagged cells with their thumbnails, and the
sign-off block. Everything is laid out on one page: the differential has one row per class of the label
set, and at most `MAX_FLAGGED` flagged cells are shown (the rest are counted in words), so a case of any
size fits. ReportLab's built-in Helvetica covers Latin-1, so text is written in those characters
(×10⁹/L becomes "x10^9/L"; a character outside Latin-1 in a user's note shows as "?"). Text a user or a
model registry chose (case name, note, model version) is measured: it shrinks or wraps to stay on the page.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from hemosight.api.lab_classes import display_name
from hemosight.api.schemas import LabDifferentialPublic
from hemosight.core.store.base import Project

MAX_FLAGGED = 18
THUMB = 22 * mm
PER_ROW = 7
#: Smallest font size a long value shrinks to before it is wrapped or cut.
MIN_SIZE = 6.0
#: Where a long value without spaces (a model version, a file name) may break across lines.
BREAKS = " ,;-_./+:"


@dataclass
class FlaggedCell:
    filename: str
    label: str
    why: str
    thumbnail: bytes | None


def _latin1(text: str) -> str:
    return text.encode("latin-1", errors="replace").decode("latin-1")


def _font(bold: bool) -> str:
    return "Helvetica-Bold" if bold else "Helvetica"


def _cut(line: str, width: float, font: str, size: float) -> str:
    """`line` cut short with "..." so that it is no wider than `width`."""
    if stringWidth(line, font, size) <= width:
        return line
    while line and stringWidth(line + "...", font, size) > width:
        line = line[:-1]
    return line + "..."


def fit_line(words: str, width: float, size: float, bold: bool = False) -> tuple[str, float]:
    """(line, size) no wider than `width`: the size shrinks to MIN_SIZE, then the end is cut with "..."."""
    line, font = _latin1(words), _font(bold)
    while size > MIN_SIZE and stringWidth(line, font, size) > width:
        size = max(MIN_SIZE, size - 0.5)
    return _cut(line, width, font, size), size


def wrap_lines(words: str, width: float, size: float, bold: bool = False, max_lines: int = 3) -> list[str]:
    """Lines no wider than `width`, broken after a space or separator where one is on the line, else at any
    character (a model version has no spaces); past `max_lines` the last line is cut with "..."."""
    font = _font(bold)
    lines: list[str] = []
    current = ""
    for char in _latin1(words):
        if current and stringWidth(current + char, font, size) > width:
            cut = max(current.rfind(b) for b in BREAKS)
            if cut > 0:
                lines.append(current[: cut + 1].rstrip())
                current = current[cut + 1 :].lstrip()
            else:
                lines.append(current)
                current = ""
        current += char
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = [
            *lines[: max_lines - 1],
            _cut(lines[max_lines - 1] + " " + "".join(lines[max_lines:]), width, font, size),
        ]
    return lines or [""]


def _date(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else ""


def render_report(
    project: Project,
    differential: LabDifferentialPublic,
    flagged: list[FlaggedCell],
    signed_off_by: str | None,
    printed_at: datetime | None = None,
) -> bytes:
    buffer = io.BytesIO()
    width, height = A4
    pdf = Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(_latin1(f"Differential report - {project.name}"))
    pdf.setAuthor("HemoSight")
    left, right = 18 * mm, width - 18 * mm
    y = height - 20 * mm

    def text(x: float, at: float, words: str, size: float = 9, bold: bool = False, align: str = "left") -> None:
        pdf.setFont("Helvetica-Bold" if bold else "Helvetica", size)
        line = _latin1(words)
        if align == "right":
            pdf.drawRightString(x, at, line)
        else:
            pdf.drawString(x, at, line)

    # --- header: the case details
    text(left, y, "Differential count report", 16, bold=True)
    text(right, y, f"printed {_date(printed_at or datetime.now(UTC))}", 8, align="right")
    y -= 8 * mm
    wbc = f"{project.wbc_count:g} x10^9/L" if project.wbc_count is not None else "not entered"
    details = [
        ("Case", project.name),
        ("Specimen ID", project.specimen_id or "-"),
        ("Collection date", project.collection_date or "-"),
        ("Analyser", project.analyser or "-"),
        ("WBC count", wbc),
    ]
    value_width = 88 * mm - 30 * mm - 3 * mm
    for i, (name, value) in enumerate(details):
        column, row = divmod(i, 3)
        x, at = left + column * 88 * mm, y - row * 5 * mm
        text(x, at, f"{name}:", 9, bold=True)
        line, size = fit_line(value, min(value_width, right - x - 30 * mm), 9)
        text(x + 30 * mm, at, line, size)
    y -= 3 * 5 * mm
    # the model version on a line of its own: a registry's version string may be long and has no spaces
    text(left, y, "Model version:", 9, bold=True)
    for line in wrap_lines(", ".join(differential.model_versions) or "-", right - left - 30 * mm, 8.5):
        text(left + 30 * mm, y, line, 8.5)
        y -= 4.2 * mm
    y -= 1.5 * mm
    if project.note:
        for line in wrap_lines(f"Note: {project.note}", right - left, 8, max_lines=2):
            text(left, y, line, 8)
            y -= 4 * mm
        y -= 1 * mm
    pdf.setStrokeColor(colors.grey)
    pdf.line(left, y, right, y)
    y -= 7 * mm

    # --- the differential table
    text(left, y, "Differential (white cells; platelets and NRBC reported apart)", 11, bold=True)
    y -= 6 * mm
    columns = [left, left + 62 * mm, left + 82 * mm, left + 107 * mm, left + 142 * mm]
    for x, head in zip(columns, ("Class", "Count", "% of WBC", "Absolute x10^9/L", "Reviewed"), strict=True):
        text(x, y, head, 8.5, bold=True)
    y -= 1.5 * mm
    pdf.line(left, y, right, y)
    y -= 4.5 * mm
    for count in differential.classes:
        text(columns[0], y, *fit_line(count.name, columns[1] - columns[0] - 2 * mm, 9))
        text(columns[1], y, str(count.count), 9)
        text(columns[2], y, f"{count.percentage:.1f}" if count.percentage is not None else "reported apart", 9)
        text(columns[3], y, f"{count.absolute:.2f}" if count.absolute is not None else "-", 9)
        text(columns[4], y, f"{count.reviewed} of {count.count}", 9)
        y -= 4.6 * mm
    pdf.line(left, y + 2.5 * mm, right, y + 2.5 * mm)
    y -= 1.5 * mm
    nrbc = f"{differential.nrbc_per_100_wbc:.1f}" if differential.nrbc_per_100_wbc is not None else "-"
    summary = [
        f"White cells counted: {differential.white_cells}",
        f"NRBC: {differential.nrbc} ({nrbc} per 100 WBC)",
        f"Platelets: {differential.platelets}",
        f"Reviewed by a person: {differential.reviewed}; not reviewed: {differential.not_reviewed}; "
        f"left out as unusable: {differential.unusable}; not classified: {differential.unclassified}",
    ]
    for line in summary:
        text(left, y, line, 9)
        y -= 4.6 * mm
    y -= 3 * mm
    pdf.line(left, y, right, y)
    y -= 7 * mm

    # --- flagged cells with thumbnails, as many rows as fit above the sign-off block
    foot = 32 * mm
    fitting_rows = max(0, int((y - 4 * mm - (foot + 14 * mm)) // (THUMB + 9 * mm)))
    shown = flagged[: min(MAX_FLAGGED, fitting_rows * PER_ROW)]
    text(left, y, f"Flagged cells ({len(flagged)})", 11, bold=True)
    y -= 4 * mm
    if not flagged:
        y -= 3 * mm
        text(left, y, "No cell was flagged for a closer look.", 9)
        y -= 4 * mm
    for i, cell in enumerate(shown):
        column, row = i % PER_ROW, i // PER_ROW
        x = left + column * (THUMB + 2.5 * mm)
        top = y - row * (THUMB + 9 * mm)
        if cell.thumbnail:
            try:
                picture = ImageReader(io.BytesIO(cell.thumbnail))
                pdf.drawImage(picture, x, top - THUMB, THUMB, THUMB, preserveAspectRatio=True)
            except Exception:  # an image ReportLab cannot read still gets its caption
                pdf.rect(x, top - THUMB, THUMB, THUMB)
        else:
            pdf.rect(x, top - THUMB, THUMB, THUMB)
        text(x, top - THUMB - 3.2 * mm, _cut(_latin1(display_name(cell.label)), THUMB, _font(True), 6), 6, bold=True)
        text(x, top - THUMB - 6 * mm, _cut(_latin1(cell.why), THUMB, _font(False), 6), 6)
    rows = (len(shown) + PER_ROW - 1) // PER_ROW
    y -= rows * (THUMB + 9 * mm)
    if len(flagged) > len(shown):
        y -= 1.5 * mm
        text(left, y, f"... and {len(flagged) - len(shown)} more flagged cell(s), listed in the app.", 8)
        y -= 5 * mm

    # --- sign-off block (at the foot of the page)
    pdf.setStrokeColor(colors.black)
    pdf.rect(left, foot - 14 * mm, right - left, 22 * mm)
    if project.status == "signed_off":
        text(left + 4 * mm, foot + 2 * mm, "Signed off", 11, bold=True)
        text(left + 4 * mm, foot - 4 * mm, f"by {signed_off_by or 'unknown'} on {_date(project.signed_off_at)}", 10)
    else:
        text(left + 4 * mm, foot + 2 * mm, "NOT SIGNED OFF - in review", 11, bold=True)
        text(left + 4 * mm, foot - 4 * mm, "Preliminary: the differential may still change.", 10)
    text(left + 4 * mm, foot - 10 * mm, "Signature: ______________________________", 9)
    text(right, 10 * mm, "HemoSight - research use; the pathologist's review is the result.", 7, align="right")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
