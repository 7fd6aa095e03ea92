"""The lab's words for cell classes: one mapping from a class code to its display name and its place in the report.

Every screen, CSV and PDF takes class names from here (and the browser app from `GET /class-names`), so a class
is never "ig" in one place and "Immature granulocyte" in another. The category decides where a class goes in the
lab differential: white cells make up the percentages; platelets and erythroblasts (NRBC) are reported apart,
NRBC per 100 white cells, as a haematology lab reports them.
"""

from __future__ import annotations

from typing import Literal

Category = Literal["wbc", "platelet", "nrbc"]

#: Codes of the shipped label sets (cell_type and the PBC subtypes) → the name a lab report uses, in the lab's
#: report order: mature white cells as a differential lists them, then immature ones, then NRBC and platelets.
#: `GET /class-names` answers in this order, and the browser's gallery groups cells in it.
DISPLAY_NAMES: dict[str, str] = {
    "neutrophil": "Neutrophil",
    "lymphocyte": "Lymphocyte",
    "monocyte": "Monocyte",
    "eosinophil": "Eosinophil",
    "basophil": "Basophil",
    "ig": "Immature granulocyte",
    "blast": "Blast",
    "erythroblast": "Erythroblast (NRBC)",
    "platelet": "Platelet",
    "SNE": "Segmented neutrophil",
    "BNE": "Band neutrophil",
    "LY": "Lymphocyte",
    "MO": "Monocyte",
    "EO": "Eosinophil",
    "BA": "Basophil",
    "MMY": "Metamyelocyte",
    "MY": "Myelocyte",
    "PMY": "Promyelocyte",
    "IG": "Immature granulocyte",
    "ERB": "Erythroblast (NRBC)",
    "PLATELET": "Platelet",
}

#: Classes that are not white cells; every other class counts as a white cell.
CATEGORIES: dict[str, Category] = {
    "platelet": "platelet",
    "PLATELET": "platelet",
    "erythroblast": "nrbc",
    "ERB": "nrbc",
}


def display_name(code: str) -> str:
    """The lab's name of a class; a lab's own class without an entry reads as its code with spaces, capitalised."""
    if code in DISPLAY_NAMES:
        return DISPLAY_NAMES[code]
    spaced = code.replace("_", " ").strip()
    return spaced[:1].upper() + spaced[1:] if spaced else code


def category(code: str) -> Category:
    return CATEGORIES.get(code, "wbc")
