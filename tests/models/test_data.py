"""Label tables (models/hemosight/ml/data.py): the subtype label set derived from the PBC file-name codes."""

from __future__ import annotations

from pathlib import Path

from hemosight.ml.data import SUBTYPE_NAMES, read_label_table


def test_subtype_label_set_names_the_finer_classes(tmp_path: Path) -> None:
    csv = tmp_path / "labels.csv"
    csv.write_text(
        "path,cell_type,subtype\n"
        "a.jpg,neutrophil,BNE\nb.jpg,neutrophil,SNE\nc.jpg,ig,MMY\nd.jpg,ig,IG\ne.jpg,neutrophil,NEUTROPHIL\n"
        "f.jpg,basophil,BA\n"
    )
    table = read_label_table(csv)
    assert table.label_sets["subtype"] == [
        "band neutrophil", "segmented neutrophil", "metamyelocyte", "", "", "basophil",
    ]  # fmt: skip
    assert table.label_sets["cell_type"][0] == "neutrophil"


def test_fixture_table_has_a_subtype_for_every_specific_code(pbc_table) -> None:
    subtypes = {v for v in pbc_table.label_sets["subtype"] if v}
    assert subtypes <= set(SUBTYPE_NAMES.values())
    assert {"band neutrophil", "segmented neutrophil"} & subtypes
