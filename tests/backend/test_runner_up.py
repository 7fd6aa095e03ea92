"""The runner-up class beside every confidence: in the results grid's cells and in the labelling queue."""

from __future__ import annotations

from typing import Any

import pytest

from hemosight.api.convert import runner_up
from tests.backend.test_review_station import CLASSES, fill_case


def test_the_runner_up_is_the_most_probable_other_class() -> None:
    assert runner_up({"neutrophil": 0.91, "band": 0.06, "ig": 0.03}, "neutrophil") == ("band", 0.06)
    assert runner_up({"neutrophil": 1.0}, "neutrophil") == (None, None)
    assert runner_up({}, "") == (None, None)


def test_cells_and_queue_items_carry_the_runner_up(client: Any, alice: Any, admin: Any) -> None:
    case = alice.post("projects", json={"name": "Case 3"}).json()["id"]
    fill_case(client, case, ["neutrophil", "lymphocyte"], pending=1)
    cells = {cell["label"]: cell for cell in alice.get(f"projects/{case}/images").json()}
    for label, cell in cells.items():
        if label is None:  # still waiting for a worker: no prediction, no runner-up
            assert cell["runner_up"] is None and cell["runner_up_probability"] is None
            continue
        # fill_case: the predicted class at 0.55 (every 25th cell) or 0.95, the rest shared by the others
        assert cell["runner_up"] in CLASSES and cell["runner_up"] != label
        assert cell["runner_up_probability"] == pytest.approx((1 - cell["confidence"]) / (len(CLASSES) - 1))
    assert len(cells) == 3
    queue = admin.get("label-sets/cell_type/queue", params={"strategy": "margin", "size": 5, "project_id": case})
    assert queue.status_code == 200, queue.text
    items = queue.json()["review"] + queue.json().get("confirm", [])
    assert items, queue.json()
    for item in items:
        assert item["runner_up"] in CLASSES and item["runner_up"] != item["label"]
        assert item["runner_up_probability"] == pytest.approx(item["confidence"] - item["margin"])
