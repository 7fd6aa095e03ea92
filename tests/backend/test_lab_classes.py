"""The lab's class names come in the lab's report order: the browser's gallery groups a case's cells in it."""

from __future__ import annotations

from hemosight.api.lab_classes import DISPLAY_NAMES, category, display_name
from tests.backend.conftest import Api


def test_class_names_come_in_the_labs_report_order(alice: Api) -> None:
    response = alice.get("class-names")
    assert response.status_code == 200, response.text
    codes = [item["code"] for item in response.json()]
    assert codes == list(DISPLAY_NAMES)
    cell_type = ["neutrophil", "lymphocyte", "monocyte", "eosinophil", "basophil", "ig", "erythroblast", "platelet"]
    assert [code for code in codes if code in cell_type] == cell_type
    # White cells first, then NRBC, then platelets: the order of the lab differential's sections.
    sections = [category(code) for code in codes if code.islower()]
    assert sections == sorted(sections, key=["wbc", "nrbc", "platelet"].index)


def test_a_class_the_lab_does_not_list_reads_as_its_code_spaced() -> None:
    assert display_name("band_cell") == "Band cell"
    assert display_name("ig") == "Immature granulocyte"
