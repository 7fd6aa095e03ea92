"""CSV exports that spreadsheets open as data, never as formulas (CSV / formula injection).

A filename or class name such as ``=HYPERLINK(...)`` or ``@SUM(...)`` is run as a formula by
Excel, LibreOffice and Google Sheets when the export is opened. As OWASP recommends, a text cell
that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written with a leading
single quote, which spreadsheets show as text; numbers (ints, floats) are written as they are.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value`, or the text with a leading ' when a spreadsheet would read it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeCsvWriter:
    """`csv.writer` whose rows go through `safe_cell`."""

    def __init__(self, stream: Any, **options: Any) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(value) for value in row])
