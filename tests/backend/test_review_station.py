"""The review station's API on the real embedded store: case details, sign-off with its audit log, the lab
differential (and that the grid counts the same cells), the PDF report, first-run set-up, sharing and
capabilities, and queuing explanations.

Cases are filled through the store's own pipeline (an image → a job → a worker's claim → a result), with
predictions written as a worker would write them, so no model needs to run here.
"""

from __future__ import annotations

import csv
import io
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image as PILImage

from hemosight.core.store.base import Image, LabelSet, NeighbourRecord, Result, Store
from tests.backend.conftest import Api

CLASSES = ["basophil", "eosinophil", "erythroblast", "ig", "lymphocyte", "monocyte", "neutrophil", "platelet"]
#: A 200-cell case: 180 white cells, 10 erythroblasts (NRBC), 10 platelets.
CASE_200 = {
    "neutrophil": 100,
    "lymphocyte": 50,
    "monocyte": 14,
    "eosinophil": 8,
    "ig": 6,
    "basophil": 2,
    "erythroblast": 10,
    "platelet": 10,
}


def png(seed: int) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (24, 24), (seed % 256, (seed // 256) % 256, 77)).save(buffer, format="PNG")
    return buffer.getvalue()


def fill_case(
    client: TestClient,
    project_id: str,
    labels: list[str],
    unusable: set[int] = frozenset(),
    pending: int = 0,  # type: ignore[assignment]
) -> list[str]:
    """Add one classified cell per label (index i flagged unusable when i in `unusable`), plus `pending` cells
    still waiting for a worker; returns the image ids in order."""
    store: Store = client.app.state.store  # type: ignore[attr-defined]

    async def fill() -> list[str]:
        await store.ensure_label_set(LabelSet(name="cell_type", classes=CLASSES, kind="model", status="model"))
        ids = []
        for i, label in enumerate(labels):
            image = Image(
                project_id=project_id, filename=f"cell-{i:03d}.png", sha256="", size=0, format="PNG", width=24,
                height=24, uploaded_by="u",
            )  # fmt: skip
            stored, job, _ = await store.add_image(image, png(1000 + i + 7 * len(labels)))
            [claimed] = await store.claim_jobs("w1", 1, 30, 3)
            assert claimed.id == job.id
            confidence = 0.55 if i % 25 == 0 else 0.95  # every 25th cell is unsure: flagged for a closer look
            others = {c: (1 - confidence) / (len(CLASSES) - 1) for c in CLASSES if c != label}
            result = Result(
                image_id=stored.id, project_id=project_id, job_id=job.id, model_version="m-test",
                default_label_set="cell_type", labels={"cell_type": label},
                probabilities={"cell_type": {label: confidence, **others}},
                neighbours=[NeighbourRecord(f"r{k}", label, 0.2) for k in range(10)], landscape=(0.0, 1.0),
                unusable="Blank or uniform image" if i in unusable else None,
            )  # fmt: skip
            assert await store.complete_job("w1", job.id, result)
            ids.append(stored.id)
        for j in range(pending):
            image = Image(
                project_id=project_id, filename=f"waiting-{j}.png", sha256="", size=0, format="PNG", width=24,
                height=24, uploaded_by="u",
            )  # fmt: skip
            await store.add_image(image, png(90_000 + j))
        return ids

    return client.portal.call(fill)  # type: ignore[union-attr]


def case_200_labels() -> list[str]:
    return [label for label, n in CASE_200.items() for _ in range(n)]


@pytest.fixture
def case(alice: Api) -> str:
    return alice.post("projects", json={"name": "Case 26-0042"}).json()["id"]


def ok(response: Any, code: int = 200) -> Any:
    assert response.status_code == code, response.text
    return response.json() if "json" in response.headers.get("content-type", "") else response


# --- 1. case details ---------------------------------------------------------------------------
def test_case_details_are_read_and_changed_field_by_field(alice: Api, sign_up: Callable[..., Api], case: str) -> None:
    empty = ok(alice.get(f"projects/{case}/case"))
    assert empty["status"] == "in_review" and empty["wbc_count"] is None and empty["specimen_id"] == ""
    body = {
        "specimen_id": " S-26-0042 ",
        "collection_date": "2026-11-30",
        "analyser": "Sysmex XN-1000",
        "wbc_count": 7.4,
        "note": "Left shift?",
    }
    changed = ok(alice.patch(f"projects/{case}/case", json=body))
    assert changed["specimen_id"] == "S-26-0042" and changed["collection_date"] == "2026-11-30"
    assert changed["wbc_count"] == 7.4 and changed["analyser"] == "Sysmex XN-1000"
    only_note = ok(alice.patch(f"projects/{case}/case", json={"note": "ok", "wbc_count": None}))
    assert only_note["note"] == "ok" and only_note["wbc_count"] is None and only_note["specimen_id"] == "S-26-0042"
    assert ok(alice.get(f"projects/{case}/case")) == only_note


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        ({"wbc_count": 0}, 422, "wbc_count"),
        ({"wbc_count": 501}, 422, "wbc_count"),
        ({"wbc_count": "many"}, 422, "wbc_count"),
        ({"collection_date": "30/11/2026"}, 422, "collection_date"),
        ({"collection_date": (datetime.now(UTC) + timedelta(days=5)).date().isoformat()}, 400, "future"),
        ({"collection_date": "1850-01-01"}, 400, "1900"),
        ({"specimen_id": "x" * 101}, 422, "specimen_id"),
    ],
)
def test_bad_case_details_are_refused_in_words(alice: Api, case: str, body: dict, code: int, words: str) -> None:
    response = alice.patch(f"projects/{case}/case", json=body)
    assert response.status_code == code and words in response.json()["detail"], response.text


def test_a_reviewer_cannot_change_case_details(alice: Api, sign_up: Callable[..., Api], case: str) -> None:
    rita = sign_up("rita", "reviewer")
    ok(alice.post(f"projects/{case}/members", json={"username": "rita"}), 201)
    assert ok(rita.get(f"projects/{case}/case"))["project_id"] == case
    assert rita.patch(f"projects/{case}/case", json={"note": "x"}).status_code == 403


# --- 2. sign-off, the label lock and the audit log ---------------------------------------------
def test_sign_off_locks_labels_and_every_later_change_is_audited(
    client: TestClient, alice: Api, admin: Api, sign_up: Callable[..., Api], case: str
) -> None:
    rita = sign_up("rita", "reviewer")
    ok(alice.post(f"projects/{case}/members", json={"username": "rita"}), 201)
    ids = fill_case(client, case, ["neutrophil", "lymphocyte", "monocyte", "neutrophil"], unusable={3})
    # a reviewer reviews a cell before sign-off: recorded with who and when, no reason needed or kept
    first = ok(rita.post(f"images/{ids[0]}/labels", json={"label_set": "cell_type", "action": "confirm"}), 201)
    assert first["reason"] is None
    assert rita.post(f"projects/{case}/sign-off").status_code == 403
    signed = ok(alice.post(f"projects/{case}/sign-off", json={"comment": "smear reviewed"}))
    assert signed["status"] == "signed_off" and signed["signed_off_by"] == "alice" and signed["signed_off_at"]
    assert alice.post(f"projects/{case}/sign-off").status_code == 409
    assert ok(alice.get(f"projects/{case}"))["status"] == "signed_off"

    no_reason = rita.post(f"images/{ids[1]}/labels", json={"label_set": "cell_type", "label": "monocyte"})
    assert no_reason.status_code == 409 and "needs a reason" in no_reason.json()["detail"]
    blank = rita.post(f"images/{ids[1]}/labels", json={"label_set": "cell_type", "label": "monocyte", "reason": "   "})
    assert blank.status_code == 409
    body = {"label_set": "cell_type", "label": "monocyte", "reason": "nucleus folded: a monocyte"}
    change = ok(rita.post(f"images/{ids[1]}/labels", json=body), 201)
    assert change["reason"] == "nucleus folded: a monocyte" and change["previous_label"] is None
    bulk = {"label_set": "cell_type", "action": "confirm", "items": [{"image_id": ids[2]}]}
    assert rita.post("labels/bulk", json=bulk).status_code == 409
    ok(rita.post("labels/bulk", json={**bulk, "reason": "confirmed on re-read"}), 201)
    assert rita.post(f"labels/{change['id']}/undo").status_code == 409
    undo = ok(rita.post(f"labels/{change['id']}/undo", json={"reason": "was right the first time"}), 201)
    assert undo["label"] is None and undo["previous_label"] == "monocyte"

    # nothing else may change the differential of a signed-off case
    upload = alice.post(f"projects/{case}/images/single", files={"file": ("new.png", png(5), "image/png")})
    assert upload.status_code == 409 and "signed off" in upload.json()["detail"]
    assert alice.post(f"projects/{case}/rescore").status_code == 409
    assert rita.post(f"images/{ids[3]}/confirm-usable").status_code == 409
    assert alice.patch(f"projects/{case}/case", json={"note": "late"}).status_code == 409
    csv = f"image_id,label\n{ids[0]},basophil\n".encode()
    imported = admin.post("label-sets/cell_type/labels/import", files={"file": ("labels.csv", csv, "text/csv")})
    assert imported.status_code == 409 and "signed off" in imported.json()["detail"]

    log = ok(rita.get(f"projects/{case}/audit"))
    assert [(e["action"], e["username"]) for e in log] == [
        ("sign_off", "alice"),
        ("set", "rita"),
        ("confirm", "rita"),
        ("undo", "rita"),
    ]
    assert log[0]["reason"] == "smear reviewed"
    assert log[1]["image_id"] == ids[1] and log[1]["filename"] == "cell-001.png" and log[1]["label"] == "monocyte"
    assert log[3]["previous_label"] == "monocyte" and log[3]["reason"] == "was right the first time"

    # reopen: administrators only, with a reason; then the case is in review again
    assert alice.post(f"projects/{case}/reopen", json={"reason": "new smear"}).status_code == 403
    assert admin.post(f"projects/{case}/reopen", json={}).status_code == 422
    assert admin.post(f"projects/{case}/reopen", json={"reason": "x"}).status_code == 422
    reopened = ok(admin.post(f"projects/{case}/reopen", json={"reason": "a second smear arrived"}))
    assert reopened["status"] == "in_review" and reopened["signed_off_by"] is None
    assert admin.post(f"projects/{case}/reopen", json={"reason": "again?"}).status_code == 409
    assert ok(rita.get(f"projects/{case}/audit"))[-1]["action"] == "reopen"
    after = ok(rita.post(f"images/{ids[1]}/labels", json={"label_set": "cell_type", "label": "monocyte"}), 201)
    assert after["reason"] is None and len(ok(rita.get(f"projects/{case}/audit"))) == 5  # not a signed-off change


def test_a_case_with_cells_still_being_classified_or_none_cannot_be_signed_off(
    client: TestClient, alice: Api, case: str
) -> None:
    empty = alice.post(f"projects/{case}/sign-off")
    assert empty.status_code == 409 and "no cells" in empty.json()["detail"]
    fill_case(client, case, ["neutrophil"], pending=2)
    busy = alice.post(f"projects/{case}/sign-off")
    assert busy.status_code == 409 and "2 cell(s) are still being classified" in busy.json()["detail"]


def test_every_cell_shows_who_reviewed_it_and_when(
    client: TestClient, alice: Api, sign_up: Callable[..., Api], case: str
) -> None:
    rita = sign_up("rita", "reviewer")
    ok(alice.post(f"projects/{case}/members", json={"username": "rita"}), 201)
    ids = fill_case(client, case, ["neutrophil", "lymphocyte"])
    ok(rita.post(f"images/{ids[1]}/labels", json={"label_set": "cell_type", "label": "monocyte"}), 201)
    grid = {s["id"]: s for s in ok(alice.get(f"projects/{case}/images"))}
    assert grid[ids[1]]["reviewed_by"] == "rita" and grid[ids[1]]["reviewed_at"]
    assert grid[ids[1]]["lab_label"] == "monocyte" and grid[ids[1]]["label"] == "lymphocyte"
    assert grid[ids[0]]["reviewed_by"] is None and grid[ids[0]]["lab_label"] == "neutrophil"
    results = {r["image_id"]: r for r in ok(alice.get(f"projects/{case}/results"))}
    assert results[ids[1]]["reviewed_by"] == "rita" and results[ids[1]]["reviewed_label"] == "monocyte"
    assert results[ids[1]]["lab_label"] == "monocyte" and results[ids[1]]["result"]["label"] == "lymphocyte"
    cell = ok(alice.get(f"images/{ids[1]}"))
    assert cell["reviewed_by"] == "rita" and cell["reviewed_label"] == "monocyte" and cell["reviewed_at"]
    assert ok(alice.get(f"images/{ids[0]}"))["reviewed_by"] is None


# --- 3. the lab differential ------------------------------------------------------------------
def test_lab_differential_counts_white_cells_apart_from_platelets_and_nrbc(
    client: TestClient, alice: Api, case: str
) -> None:
    labels = [*case_200_labels(), "neutrophil", "lymphocyte"]  # + 2 flagged unusable cells
    ids = fill_case(client, case, labels, unusable={200, 201}, pending=1)
    ok(alice.patch(f"projects/{case}/case", json={"wbc_count": 9.0}))
    ok(alice.post(f"images/{ids[0]}/labels", json={"label_set": "cell_type", "label": "ig"}), 201)  # a neutrophil
    ok(alice.post(f"images/{ids[150]}/labels", json={"label_set": "cell_type", "action": "confirm"}), 201)
    body = ok(alice.get(f"projects/{case}/lab-differential"))
    rows = {r["code"]: r for r in body["classes"]}
    assert body["white_cells"] == 180 and body["platelets"] == 10 and body["nrbc"] == 10
    assert body["nrbc_per_100_wbc"] == pytest.approx(5.6, abs=0.05)
    assert body["unusable"] == 2 and body["unclassified"] == 1 and body["model_versions"] == ["m-test"]
    assert rows["neutrophil"]["count"] == 99 and rows["ig"]["count"] == 7
    assert rows["neutrophil"]["percentage"] == pytest.approx(55.0) and rows["ig"]["percentage"] == pytest.approx(3.9)
    assert rows["neutrophil"]["absolute"] == pytest.approx(99 / 180 * 9.0, abs=0.01)
    assert rows["platelet"]["percentage"] is None and rows["platelet"]["absolute"] is None
    assert rows["erythroblast"]["category"] == "nrbc" and rows["platelet"]["category"] == "platelet"
    assert sum(r["percentage"] for r in body["classes"] if r["category"] == "wbc") == pytest.approx(100.0, abs=0.3)
    assert body["reviewed"] == 2 and body["not_reviewed"] == 198
    assert rows["ig"]["reviewed"] == 1 and rows["monocyte"]["reviewed"] == 1  # cell 150 is a monocyte
    assert rows["ig"]["name"] == "Immature granulocyte" and rows["erythroblast"]["name"] == "Erythroblast (NRBC)"
    assert [r["category"] for r in body["classes"]][-2:] == ["nrbc", "platelet"]

    # confirming a flagged cell brings it in; without a WBC count there are no absolute counts
    ok(alice.post(f"images/{ids[200]}/confirm-usable"))
    ok(alice.patch(f"projects/{case}/case", json={"wbc_count": None}))
    again = ok(alice.get(f"projects/{case}/lab-differential"))
    assert again["white_cells"] == 181 and again["unusable"] == 1
    assert all(r["absolute"] is None for r in again["classes"])

    table = list(csv.reader(io.StringIO(ok(alice.get(f"projects/{case}/lab-differential?format=csv")).text)))
    assert table[0][:4] == ["class", "code", "category", "count"]
    by_code = {row[1]: row for row in table[1:] if row[1]}
    assert by_code["ig"][0] == "Immature granulocyte" and by_code["platelet"][4] == ""
    assert table[-1][0] == "NRBC per 100 WBC"
    missing = alice.get(f"projects/{case}/lab-differential", params={"label_set": "nope"})
    assert missing.status_code == 404 and "cell_type" in missing.json()["detail"]


def test_the_grid_filter_shows_exactly_the_cells_the_differential_counts(
    client: TestClient, alice: Api, case: str
) -> None:
    ids = fill_case(client, case, [*case_200_labels()[:60], "monocyte", "basophil"], unusable={60, 61})
    ok(alice.post(f"images/{ids[3]}/labels", json={"label_set": "cell_type", "label": "monocyte"}), 201)
    ok(alice.post(f"images/{ids[61]}/labels", json={"label_set": "cell_type", "label": "basophil"}), 201)  # counts
    body = ok(alice.get(f"projects/{case}/lab-differential"))
    for row in body["classes"]:
        shown = ok(alice.get(f"projects/{case}/images", params={"lab_label": row["code"], "counted": "true"}))
        assert len(shown) == row["count"], row["code"]
    grid = ok(alice.get(f"projects/{case}/images"))
    assert Counter(s["lab_label"] for s in grid if s["counted"]) == Counter(
        {r["code"]: r["count"] for r in body["classes"] if r["count"]}
    )
    assert [s["id"] for s in ok(alice.get(f"projects/{case}/images", params={"counted": "false"}))] == [ids[60]]


def test_class_names_are_served_and_used_in_the_results_csv(client: TestClient, alice: Api, case: str) -> None:
    names = {c["code"]: c for c in ok(alice.get("class-names"))}
    assert names["ig"]["name"] == "Immature granulocyte" and names["ig"]["category"] == "wbc"
    assert names["platelet"]["category"] == "platelet" and names["ERB"]["category"] == "nrbc"
    ids = fill_case(client, case, ["ig", "neutrophil"])
    ok(alice.post(f"images/{ids[1]}/labels", json={"label_set": "cell_type", "label": "ig"}), 201)
    rows = list(csv.DictReader(io.StringIO(ok(alice.get(f"projects/{case}/results?format=csv")).text)))
    assert [(r["predicted_label"], r["predicted_class"], r["lab_label"], r["lab_class"]) for r in rows] == [
        ("ig", "Immature granulocyte", "ig", "Immature granulocyte"),
        ("neutrophil", "Neutrophil", "ig", "Immature granulocyte"),
    ]
    assert rows[1]["reviewed_by"] == "alice" and rows[1]["reviewed_at"] and rows[0]["reviewed_by"] == ""
    older = {c["label"]: c["name"] for c in ok(alice.get(f"projects/{case}/differential-count"))["classes"]}
    assert older == {"ig": "Immature granulocyte"}  # both cells are ig now; the same name there


# --- 4. the PDF report --------------------------------------------------------------------------
def test_the_report_of_a_200_cell_case_is_one_pdf_page_with_the_numbers(
    client: TestClient, alice: Api, case: str
) -> None:
    from pypdf import PdfReader

    fill_case(client, case, case_200_labels())
    details = {"specimen_id": "S-26-0042", "collection_date": "2026-11-30", "analyser": "XN-1000", "wbc_count": 9}
    ok(alice.patch(f"projects/{case}/case", json=details))
    preliminary = ok(alice.get(f"projects/{case}/report.pdf"))
    assert "NOT SIGNED OFF" in PdfReader(io.BytesIO(preliminary.content)).pages[0].extract_text()
    ok(alice.post(f"projects/{case}/sign-off"))
    response = ok(alice.get(f"projects/{case}/report.pdf"))
    assert response.headers["content-type"] == "application/pdf" and response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for words in ("Case 26-0042", "S-26-0042", "2026-11-30", "XN-1000", "9 x10^9/L", "m-test"):
        assert words in text, words
    assert "Immature granulocyte" in text and "Erythroblast (NRBC)" in text and "Platelet" in text
    assert "55.6" in text and "5.00" in text  # neutrophils: 100 of 180 white cells; 100/180 × 9.0
    assert "White cells counted: 180" in text and "NRBC: 10 (5.6 per 100 WBC)" in text
    assert "Flagged cells (8)" in text  # every 25th cell was unsure
    assert "Signed off" in text and "by alice on" in text and "NOT SIGNED OFF" not in text
    assert "HemoSight" in text and "Sign in" not in text  # the report, not the app's chrome


# --- 5. first-run set-up ------------------------------------------------------------------------
def _client(settings: Any, address: str) -> TestClient:
    from hemosight.api.main import create_app

    return TestClient(create_app(settings), client=(address, 50000))


def test_the_first_admin_is_created_once_and_only_from_this_machine(settings: Any) -> None:
    setup = {"username": "Chief", "password": "a long password"}
    with _client(settings, "203.0.113.9") as remote:
        assert ok(remote.get("/api/v1/setup")) == {"needs_setup": True, "local": False}
        refused = remote.post("/api/v1/setup", json=setup)
        assert refused.status_code == 403 and "create-admin" in refused.json()["detail"]
        spoofed = remote.post("/api/v1/setup", json=setup, headers={"X-Forwarded-For": "127.0.0.1"})
        assert spoofed.status_code == 403
    with _client(settings, "127.0.0.1") as local:
        assert ok(local.get("/api/v1/setup")) == {"needs_setup": True, "local": True}
        relayed = local.post("/api/v1/setup", json=setup, headers={"X-Forwarded-For": "198.51.100.7"})
        assert relayed.status_code == 403, "a request relayed by a proxy on this machine is not local"
        assert local.post("/api/v1/setup", json={**setup, "password": "short"}).status_code == 422
        created = ok(local.post("/api/v1/setup", json=setup), 201)
        assert created["user"]["username"] == "chief" and created["user"]["role"] == "admin"
        me = local.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {created['access_token']}"})
        assert ok(me)["capabilities"]["manage_users"] is True
        again = local.post("/api/v1/setup", json={"username": "other", "password": "a long password"})
        assert again.status_code == 409 and "Sign in" in again.json()["detail"]
        assert ok(local.get("/api/v1/setup"))["needs_setup"] is False


def test_two_racing_set_up_requests_make_exactly_one_admin(settings: Any) -> None:
    with _client(settings, "::1") as local:
        statuses: list[int] = []
        barrier = threading.Barrier(2)

        def post(name: str) -> None:
            barrier.wait()
            statuses.append(
                local.post("/api/v1/setup", json={"username": name, "password": "a long password"}).status_code
            )

        threads = [threading.Thread(target=post, args=(f"admin{i}",)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(statuses) == [201, 409]
        store = local.app.state.store  # type: ignore[attr-defined]
        users = local.portal.call(store.list_users)  # type: ignore[union-attr]
        assert [u.role for u in users] == ["admin"]


# --- 7. sharing and capabilities ----------------------------------------------------------------
def test_members_are_listed_added_and_removed(alice: Api, sign_up: Callable[..., Api], case: str) -> None:
    bob = sign_up("bob")
    rita = sign_up("rita", "reviewer")
    assert ok(alice.get(f"projects/{case}/members")) == [{"username": "alice", "role": "pathologist", "is_owner": True}]
    assert bob.get(f"projects/{case}").status_code == 404
    added = ok(alice.post(f"projects/{case}/members", json={"username": "Bob"}), 201)
    assert [(m["username"], m["is_owner"]) for m in added] == [("alice", True), ("bob", False)]
    assert ok(alice.post(f"projects/{case}/members", json={"username": "bob"}), 201) == added  # twice: no change
    assert ok(bob.get(f"projects/{case}"))["id"] == case
    unknown = alice.post(f"projects/{case}/members", json={"username": "nobody"})
    assert unknown.status_code == 400 and "no user" in unknown.json()["detail"]
    ok(alice.post(f"projects/{case}/members", json={"username": "rita"}), 201)
    assert rita.post(f"projects/{case}/members", json={"username": "bob"}).status_code == 403
    assert rita.delete(f"projects/{case}/members/bob").status_code == 403
    owner = bob.delete(f"projects/{case}/members/alice")
    assert owner.status_code == 409 and "owns" in owner.json()["detail"]
    assert alice.delete(f"projects/{case}/members/bob").status_code == 204
    assert bob.get(f"projects/{case}").status_code == 404
    assert alice.delete(f"projects/{case}/members/bob").status_code == 404


def test_capabilities_follow_the_role_and_the_case_status(
    client: TestClient, alice: Api, admin: Api, sign_up: Callable[..., Api], case: str
) -> None:
    rita = sign_up("rita", "reviewer")
    ok(alice.post(f"projects/{case}/members", json={"username": "rita"}), 201)
    fill_case(client, case, ["neutrophil"])
    reviewer = ok(rita.get(f"projects/{case}/capabilities"))
    assert reviewer["role"] == "reviewer" and reviewer["label"] and not reviewer["label_needs_reason"]
    assert not any(reviewer[k] for k in ("upload", "sign_off", "reopen", "manage_members", "edit_case_details"))
    pathologist = ok(alice.get(f"projects/{case}/capabilities"))
    assert pathologist["sign_off"] and pathologist["upload"] and pathologist["is_owner"] and not pathologist["reopen"]
    # each capability matches what the API then allows
    assert rita.post(f"projects/{case}/sign-off").status_code == 403
    ok(alice.post(f"projects/{case}/sign-off"))
    signed = ok(alice.get(f"projects/{case}/capabilities"))
    assert signed["status"] == "signed_off" and not signed["sign_off"] and not signed["upload"]
    assert signed["label_needs_reason"] and not signed["edit_case_details"] and not signed["reopen"]
    assert ok(admin.get(f"projects/{case}/capabilities"))["reopen"] is True
    me = ok(rita.get("auth/me"))
    assert me["username"] == "rita" and me["capabilities"]["create_projects"] is False
    assert me["capabilities"]["sign_off"] is False and ok(alice.get("auth/me"))["capabilities"]["sign_off"] is True
    assert rita.post("projects", json={"name": "mine"}).status_code == 403


# --- 6. explanations (the API side; the worker computes them: tests/worker/test_explanations.py) ---
def test_an_explanation_is_queued_and_reported_pending_until_a_worker_made_it(
    client: TestClient, alice: Api, case: str
) -> None:
    ids = fill_case(client, case, ["neutrophil"], pending=1)
    waiting = ok(alice.get(f"projects/{case}/images", params={"status": "pending"}))[0]["id"]
    unclassified = alice.post(f"images/{waiting}/explanation")
    assert unclassified.status_code == 409 and "classified" in unclassified.json()["detail"]
    never = alice.get(f"images/{ids[0]}/explanation")
    assert never.status_code == 404 and "POST" in never.json()["detail"]
    queued = ok(alice.post(f"images/{ids[0]}/explanation"), 202)
    assert queued["status"] == "pending" and queued["model_version"] == "m-test" and queued["image_url"] is None
    again = ok(alice.post(f"images/{ids[0]}/explanation"), 202)
    assert again["requested_at"] == queued["requested_at"], "a request under way is not queued twice"
    pending = alice.get(f"images/{ids[0]}/explanation")
    assert pending.status_code == 202 and pending.json()["status"] == "pending" and pending.headers["retry-after"]
    assert alice.post("images/no-such-image/explanation").status_code == 404
