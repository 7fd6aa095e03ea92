"""The review loop end to end: label through the API → the worker refits and re-scores → the API shows it.

Real app, real SQLite store, real worker and a real (small) model bundle.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hemosight.api.main import create_app
from hemosight.core.accounts import create_user
from hemosight.core.model_registry import register_bundle
from hemosight.core.settings import Settings
from hemosight.worker.runner import Worker, WorkerConfig

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

Call = Callable[..., Any]


@pytest.fixture
def lab(settings: Settings, originals: list[Path], bundle_path: Path) -> Iterator[dict[str, Any]]:
    """A classified project of the fixture cells, a worker, and signed-in callers per role."""
    with TestClient(create_app(settings)) as client:
        store = client.app.state.store  # type: ignore[attr-defined]
        portal = client.portal
        portal.call(register_bundle, store, bundle_path, True)
        callers = {}
        for username, role in (("ann", "admin"), ("pat", "pathologist"), ("rev", "reviewer"), ("pia", "pathologist")):
            portal.call(create_user, store, username, "correct horse", role)
            token = client.post("/api/v1/auth/login", data={"username": username, "password": "correct horse"})
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            callers[username] = lambda method, path, _h=headers, **kw: client.request(
                method, f"/api/v1/{path}", headers=_h, **kw
            )
        project = callers["pat"]("POST", "projects", json={"name": "Smear 7"}).json()["id"]
        callers["pat"]("PATCH", f"projects/{project}", json={"members": ["rev"]})
        files = [("files", (p.name, p.read_bytes(), "image/jpeg")) for p in originals]
        callers["pat"]("POST", f"projects/{project}/images", files=files)
        # These tests follow the loop's mechanics on an untrained encoder; the score gate has its own
        # tests (test_refit_stability.py), so every refit is used here.
        worker = Worker(store, WorkerConfig(batch_size=32, refit_score_gate=False))
        assert portal.call(worker.run_until_idle) == len(originals)
        images = callers["pat"]("GET", f"projects/{project}/images").json()
        yield {
            "project": project,
            "images": images,
            "work": lambda: portal.call(worker.run_until_idle),
            **callers,
        }


def ok(response: Any, code: int = 200) -> Any:
    assert response.status_code == code, response.text
    return response.json()


def test_correction_refits_rescores_and_undo_restores(lab: dict[str, Any]) -> None:
    rev, images, project = lab["rev"], lab["images"], lab["project"]
    cell = images[0]
    before = ok(rev("GET", "label-sets/cell_type"))
    assert before["kind"] == "model" and before["classifier_version"] is None and not before["updating"]
    other = next(c for c in before["classes"] if c != cell["label"])

    change = ok(rev("POST", f"images/{cell['id']}/labels", json={"label_set": "cell_type", "label": other}), 201)
    assert change["previous_label"] is None and change["label"] == other and change["username"] == "rev"
    assert change["source"] == "reviewer" and change["action"] == "set"
    assert ok(rev("GET", "label-sets/cell_type"))["updating"] is True

    lab["work"]()  # the refit
    after = ok(rev("GET", "label-sets/cell_type"))
    assert after["classifier_version"] == 1 and not after["updating"] and after["lab_labels"] == 1
    assert after["status"] == "ready"
    results = ok(rev("GET", f"projects/{project}/results"))
    assert all(set(r["result"]["probabilities"]["cell_type"]) == set(before["classes"]) for r in results)

    second = ok(
        rev("POST", f"images/{cell['id']}/labels", json={"label_set": "cell_type", "label": cell["label"]}), 201
    )
    assert second["previous_label"] == other
    history = ok(rev("GET", f"images/{cell['id']}/labels"))
    assert [e["label"] for e in history["history"]] == [other, cell["label"]]
    superseded = rev("POST", f"labels/{change['id']}/undo")
    assert superseded.status_code == 409 and "undo the later change first" in superseded.json()["detail"]

    undo = ok(rev("POST", f"labels/{second['id']}/undo"), 201)
    assert undo["action"] == "undo" and undo["label"] == other and undo["undoes"] == second["id"]
    assert ok(rev("GET", f"images/{cell['id']}/labels"))["labels"]["cell_type"]["label"] == other
    assert rev("POST", f"labels/{second['id']}/undo").status_code == 409  # already undone
    lab["work"]()
    assert ok(rev("GET", "label-sets/cell_type"))["classifier_version"] == 2  # both changes, one refit

    predicted = ok(rev("GET", f"images/{images[1]['id']}"))["result"]["labels"]["cell_type"]  # after re-scoring
    confirm = ok(
        rev("POST", f"images/{images[1]['id']}/labels", json={"label_set": "cell_type", "action": "confirm"}), 201
    )
    assert confirm["label"] == predicted and confirm["action"] == "confirm"
    grid = {s["id"]: s for s in ok(rev("GET", f"projects/{project}/images"))}
    assert grid[cell["id"]]["reviewed_label"] == other and grid[cell["id"]]["label_set"] == "cell_type"
    assert grid[images[1]["id"]]["reviewed_label"] == predicted
    assert all(grid[i["id"]]["reviewed_label"] is None for i in images[2:]), "unreviewed cells say so"

    export = lab["ann"]("GET", "labels/export")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert [r["action"] for r in rows] == ["set", "set", "undo", "confirm"]
    assert rows[1]["previous_label"] == other and rows[1]["undone_by"] == undo["id"] and rows[0]["username"] == "rev"
    assert rev("GET", "labels/export").status_code == 403


def test_differential_count_counts_the_reviewed_label(lab: dict[str, Any]) -> None:
    rev, images, project = lab["rev"], lab["images"], lab["project"]
    cell = images[0]
    classes = ok(rev("GET", "label-sets/cell_type"))["classes"]
    other = next(c for c in classes if c != cell["label"])

    def counts() -> dict[str, int]:
        body = ok(rev("GET", f"projects/{project}/differential-count"))
        return {row["label"]: row["count"] for row in body["classes"]}

    before = counts()
    ok(rev("POST", f"images/{cell['id']}/labels", json={"label_set": "cell_type", "label": other}), 201)
    after = counts()  # at once, before any refit: the reviewer's word counts
    assert after[other] == before.get(other, 0) + 1
    assert after[cell["label"]] == before[cell["label"]] - 1
    assert sum(after.values()) == sum(before.values())


def test_custom_label_set_queue_learning_curve_and_import(lab: dict[str, Any]) -> None:
    pat, rev, ann, images = lab["pat"], lab["rev"], lab["ann"], lab["images"]
    body = {"name": "reactive_lymphocyte", "classes": ["reactive", "normal"], "description": "lymphocyte review"}
    assert rev("POST", "label-sets", json=body).status_code == 403
    created = ok(pat("POST", "label-sets", json=body), 201)
    assert created["kind"] == "custom" and created["status"] == "needs_labels" and "two classes" in created["message"]
    assert pat("POST", "label-sets", json=body).status_code == 409
    assert pat("POST", "label-sets", json={**body, "name": "cell_type"}).status_code == 409

    items = [{"image_id": images[0]["id"], "label": "reactive"}, {"image_id": images[1]["id"], "label": "reactive"}]
    ok(rev("POST", "labels/bulk", json={"label_set": "reactive_lymphocyte", "items": items}), 201)
    lab["work"]()
    waiting = ok(rev("GET", "label-sets/reactive_lymphocyte"))
    assert waiting["status"] == "needs_labels" and "at least one more class" in waiting["message"]
    assert waiting["classifier_version"] is None

    more = [{"image_id": i["id"], "label": "normal"} for i in images[2:5]]
    ok(rev("POST", "labels/bulk", json={"label_set": "reactive_lymphocyte", "items": more}), 201)
    lab["work"]()
    ready = ok(rev("GET", "label-sets/reactive_lymphocyte"))
    # A classifier exists, but "reactive" rests on 2 labels: the set says it needs more.
    assert ready["status"] == "needs_labels" and ready["classifier_version"] == 1 and ready["lab_labels"] == 5
    assert "reactive (2)" in ready["message"]
    results = ok(rev("GET", f"projects/{lab['project']}/results"))
    assert len(results) == len(images)
    for r in results:
        assert r["result"]["labels"]["reactive_lymphocyte"] in {"reactive", "normal"}
        assert sum(r["result"]["probabilities"]["reactive_lymphocyte"].values()) == pytest.approx(1.0, abs=1e-3)
    # a new upload is classified with the lab's classifier too
    new_cell = next((FIXTURES / "pbc" / "images").rglob("*.jpg"))
    upload = ok(
        pat("POST", f"projects/{lab['project']}/images/single", files={"file": (new_cell.name, new_cell.read_bytes())}),
        201,
    )
    lab["work"]()
    assert ok(rev("GET", f"images/{upload['id']}"))["result"]["labels"]["reactive_lymphocyte"] in {"reactive", "normal"}

    queue = ok(rev("GET", "label-sets/reactive_lymphocyte/queue", params={"strategy": "uncertainty", "size": 4}))
    assert queue["candidates"] == len(images) + 1 - 5 and len(queue["review"]) == 4 and queue["confirm"] == []
    confidences = [i["confidence"] for i in queue["review"]]
    assert confidences == sorted(confidences)
    labelled = {i["image_id"] for i in items + more}
    assert not labelled & {i["image_id"] for i in queue["review"]}
    both = ok(rev("GET", "label-sets/reactive_lymphocyte/queue", params={"strategy": "cst+al", "threshold": 0.5}))
    assert all(i["confidence"] >= 0.5 for i in both["confirm"])
    assert not {i["image_id"] for i in both["confirm"]} & {i["image_id"] for i in both["review"]}

    # a third fit: the second one's agreement on the cells labelled after it becomes a learning-curve point
    csv_text = "image_id,label\n" + "".join(f"{i['id']},normal\n" for i in images[5:8])
    files = {"file": ("labels.csv", csv_text.encode(), "text/csv")}
    assert pat("POST", "label-sets/reactive_lymphocyte/labels/import", files=files).status_code == 403
    imported = ok(ann("POST", "label-sets/reactive_lymphocyte/labels/import", files=files))
    assert imported == {"imported": 3, "unchanged": 0}
    lab["work"]()
    curve = ok(rev("GET", "label-sets/reactive_lymphocyte/learning-curve"))
    assert [p["classifier_version"] for p in curve["points"]] == [1, 2]
    assert curve["points"][0]["next_labels"] == 3 and 0 <= curve["points"][0]["agreement"] <= 1
    assert curve["power_law"] is None  # fewer than 4 points
    labels = ok(rev("GET", "label-sets/reactive_lymphocyte/labels"))
    assert len(labels) == 8 and {label["source"] for label in labels} == {"reviewer", "import"}


def test_label_counts_and_learning_curve_count_only_projects_the_user_can_see(lab: dict[str, Any]) -> None:
    pat, pia, ann, mine = lab["pat"], lab["pia"], lab["ann"], lab["images"]
    # pat cannot see pia's project, pia cannot see pat's
    other = ok(pia("POST", "projects", json={"name": "Other lab"}), 201)["id"]
    files = [
        ("files", (f"o{i}.jpg", p.read_bytes(), "image/jpeg"))
        for i, p in enumerate(sorted(FIXTURES.glob("originals/*.jpg"))[:10])
    ]
    ok(pia("POST", f"projects/{other}/images", files=files))
    lab["work"]()
    theirs = ok(pia("GET", f"projects/{other}/images"))
    body = {"name": "reactive_lymphocyte", "classes": ["reactive", "normal", "smudge"]}
    ok(pat("POST", "label-sets", json=body), 201)

    def label(api: Call, cells: list[dict[str, Any]], name: str, label_set: str = "reactive_lymphocyte") -> None:
        items = [{"image_id": c["id"], "label": name} for c in cells]
        ok(api("POST", "labels/bulk", json={"label_set": label_set, "items": items}), 201)

    # First fit: pat 3 reactive, 3 normal, 1 smudge; pia 4 reactive, 2 normal; one cell type label each.
    label(pat, mine[0:3], "reactive"), label(pat, mine[3:6], "normal"), label(pat, mine[6:7], "smudge")
    label(pia, theirs[0:4], "reactive"), label(pia, theirs[4:6], "normal")
    cell_type = ok(ann("GET", "label-sets/cell_type"))["classes"]
    label(pat, mine[0:1], cell_type[0], "cell_type"), label(pia, theirs[0:1], cell_type[1], "cell_type")
    lab["work"]()
    # Second fit: pat 2 more normal, pia 3 more reactive (the first fit's learning-curve point).
    label(pat, mine[7:9], "normal"), label(pia, theirs[6:9], "reactive")
    lab["work"]()

    def view(api: Call) -> tuple[dict[str, Any], dict[str, Any]]:
        return ok(api("GET", "label-sets/reactive_lymphocyte")), ok(
            api("GET", "label-sets/reactive_lymphocyte/learning-curve")
        )

    (pat_set, pat_curve), (pia_set, pia_curve), (ann_set, ann_curve) = view(pat), view(pia), view(ann)
    assert (pat_set["lab_labels"], pia_set["lab_labels"], ann_set["lab_labels"]) == (9, 9, 18)
    assert pat_set["class_counts"] == {"reactive": 3, "normal": 5, "smudge": 1}
    assert pia_set["class_counts"] == {"reactive": 7, "normal": 2, "smudge": 0}
    assert ann_set["class_counts"] == {"reactive": 10, "normal": 7, "smudge": 1}
    assert (pat_set["support_size"], pia_set["support_size"], ann_set["support_size"]) == (9, 9, 18)
    # The shared classifier lacks smudge cells for everyone; the numbers are each user's own.
    assert pat_set["status"] == pia_set["status"] == ann_set["status"] == "needs_labels"
    assert pat_set["classes_needing_labels"] == pia_set["classes_needing_labels"] == ["smudge"]
    assert "smudge (0)" in pia_set["message"] and "18" not in pia_set["message"], pia_set["message"]
    assert "smudge (1)" in pat_set["message"] and "18" not in pat_set["message"], pat_set["message"]
    assert "18 labelled" in ann_set["message"]
    mine_ids, their_ids = {c["id"] for c in mine}, {c["id"] for c in theirs}
    assert set(pat_set["changed_image_ids"]) <= mine_ids and set(pia_set["changed_image_ids"]) <= their_ids
    assert set(ann_set["changed_image_ids"]) == set(pat_set["changed_image_ids"]) | set(pia_set["changed_image_ids"])
    # Learning curve: the first fit's point counts the labels added after it in the projects the user sees.
    first = [c["points"][0] for c in (pat_curve, pia_curve, ann_curve)]
    assert [p["next_labels"] for p in first] == [2, 3, 5]
    assert [p["lab_labels"] for p in first] == [7, 6, 13] and [p["support_size"] for p in first] == [7, 6, 13]
    tallies = [p["agreement"] * p["next_labels"] for p in first]
    assert tallies[2] == pytest.approx(tallies[0] + tallies[1])
    # A model label set: the bundle's own cells for everyone plus the lab labels the user can see.
    model_counts = [sum(ok(api("GET", "label-sets/cell_type"))["class_counts"].values()) for api in (pat, pia, ann)]
    assert model_counts[0] == model_counts[1] == model_counts[2] - 1


def test_bad_review_input_is_a_clear_4xx(lab: dict[str, Any]) -> None:
    rev, pat, ann, cell = lab["rev"], lab["pat"], lab["ann"], lab["images"][0]
    wrong_class = rev("POST", f"images/{cell['id']}/labels", json={"label_set": "cell_type", "label": "dragon"})
    assert wrong_class.status_code == 400 and "not a class of label set 'cell_type'" in wrong_class.json()["detail"]
    unknown_set = rev("POST", f"images/{cell['id']}/labels", json={"label_set": "nope", "label": "x"})
    assert unknown_set.status_code == 404 and "cell_type" in unknown_set.json()["detail"]
    assert rev("GET", "label-sets/nope").status_code == 404
    assert rev("GET", "label-sets/nope/queue").status_code == 404
    assert rev("GET", "label-sets/cell_type/queue", params={"strategy": "best"}).status_code == 422
    assert rev("GET", "label-sets/cell_type/queue", params={"size": 0}).status_code == 422
    assert rev("POST", "images/unknown/labels", json={"label_set": "cell_type", "label": "x"}).status_code == 404
    assert rev("POST", f"images/{cell['id']}/labels", json={"label_set": "cell_type"}).status_code == 400
    assert rev("POST", "labels/unknown/undo").status_code == 404
    bulk = rev("POST", "labels/bulk", json={"label_set": "cell_type", "items": [{"image_id": "nope", "label": "x"}]})
    assert bulk.status_code == 404 and "Nothing was labelled" in bulk.json()["detail"]
    assert rev("POST", "labels/bulk", json={"label_set": "cell_type", "items": []}).status_code == 422
    assert pat("POST", "label-sets", json={"name": "a b", "classes": ["x", "y"]}).status_code == 422
    assert pat("POST", "label-sets", json={"name": "dup", "classes": ["x", "x"]}).status_code == 400
    assert pat("POST", "label-sets", json={"name": "one", "classes": ["x"]}).status_code == 422
    for text, words in (
        (b"path,cell\nx,y\n", "needs the columns image_id and label"),
        (b"image_id,label\n,neutrophil\n", "Line 2"),
        (b"image_id,label\nnope,neutrophil\n", "there is no image nope"),
        (f"image_id,label\n{cell['id']},dragon\n".encode(), "not a class"),
        (b"\xff\xfe\x00bad", "UTF-8"),
        (b"image_id,label\n", "no rows"),
    ):
        response = ann("POST", "label-sets/cell_type/labels/import", files={"file": ("l.csv", text, "text/csv")})
        assert response.status_code == 400 and words in response.json()["detail"], response.text
    assert ok(ann("GET", "label-sets/cell_type/labels")) == []  # nothing was imported
    # a custom label set without a classifier has no queue yet, in words
    ok(pat("POST", "label-sets", json={"name": "fresh", "classes": ["a", "b"]}), 201)
    no_queue = rev("GET", "label-sets/fresh/queue")
    assert no_queue.status_code == 409 and "two classes" in no_queue.json()["detail"]


def test_cells_whose_class_changed_are_listed_and_filterable(lab: dict[str, Any]) -> None:
    rev, images, project = lab["rev"], lab["images"], lab["project"]
    classes = ok(rev("GET", "label-sets/cell_type"))["classes"]
    items = [
        {"image_id": cell["id"], "label": classes[(classes.index(cell["label"]) + 1) % len(classes)]}
        for cell in images[:12]
    ]
    ok(rev("POST", "labels/bulk", json={"label_set": "cell_type", "items": items}), 201)
    lab["work"]()
    label_set = ok(rev("GET", "label-sets/cell_type"))
    assert label_set["classifier_version"] == 1 and label_set["support_size"] == 32 + 12
    assert sum(label_set["class_counts"].values()) == label_set["support_size"]
    grid = ok(rev("GET", f"projects/{project}/images"))
    before = {cell["id"]: cell["label"] for cell in images}
    moved = {cell["id"] for cell in grid if cell["label"] != before[cell["id"]]}
    assert moved, "twelve wrong labels move some prediction of this untrained encoder"
    assert set(label_set["changed_image_ids"]) == moved == {cell["id"] for cell in grid if cell["changed"]}
    assert not moved & {item["image_id"] for item in items}, "reviewed cells never change"
    only_changed = ok(rev("GET", f"projects/{project}/images", params={"changed": "true"}))
    assert {cell["id"] for cell in only_changed} == moved
    unchanged = ok(rev("GET", f"projects/{project}/images", params={"changed": "false"}))
    assert len(unchanged) + len(only_changed) == len(grid)
    assert rev("GET", f"projects/{project}/images", params={"changed": "maybe"}).status_code == 422


def test_an_unusable_upload_is_marked_left_out_of_the_count_until_confirmed(lab: dict[str, Any]) -> None:
    import numpy as np
    from PIL import Image

    pat, rev, project = lab["pat"], lab["rev"], lab["project"]
    buffer = io.BytesIO()
    Image.fromarray(np.full((360, 360, 3), 255, np.uint8)).save(buffer, "PNG")
    blank = ok(pat("POST", f"projects/{project}/images/single", files={"file": ("white.png", buffer.getvalue())}), 201)
    lab["work"]()

    def count() -> dict[str, Any]:
        return ok(rev("GET", f"projects/{project}/differential-count"))

    cell = ok(rev("GET", f"images/{blank['id']}"))
    assert cell["result"]["unusable"].startswith("Blank or uniform image") and not cell["usable_confirmed"]
    grid = {s["id"]: s for s in ok(rev("GET", f"projects/{project}/images"))}
    assert grid[blank["id"]]["unusable"] == cell["result"]["unusable"]
    assert sum(1 for s in grid.values() if s["unusable"]) == 1, "the fixture cells are usable"
    before = count()
    assert before["unusable"] == 1 and before["total"] == len(lab["images"])

    not_flagged = rev("POST", f"images/{lab['images'][0]['id']}/confirm-usable")
    assert not_flagged.status_code == 409 and "not flagged" in not_flagged.json()["detail"]
    confirmed = ok(rev("POST", f"images/{blank['id']}/confirm-usable"))
    assert confirmed["usable_confirmed"] and ok(rev("GET", f"images/{blank['id']}"))["usable_confirmed"]
    after = count()
    assert after["unusable"] == 0 and after["total"] == before["total"] + 1
    assert rev("POST", "images/no-such-image/confirm-usable").status_code == 404


def test_cells_go_to_review_when_confidence_is_low_or_neighbours_disagree(lab: dict[str, Any]) -> None:
    rev, project = lab["rev"], lab["project"]
    grid = ok(rev("GET", f"projects/{project}/images"))
    for cell in grid:
        assert 0.0 <= cell["neighbours_agree"] <= 1.0
        assert cell["needs_review"] == (cell["confidence"] < 0.7 or cell["neighbours_agree"] < 0.8)
    flagged = next(cell for cell in grid if cell["needs_review"])
    ok(rev("POST", f"images/{flagged['id']}/labels", json={"label_set": "cell_type", "action": "confirm"}), 201)
    after = {cell["id"]: cell for cell in ok(rev("GET", f"projects/{project}/images"))}
    assert not after[flagged["id"]]["needs_review"], "a reviewed cell is not sent to review again"
