"""Who may read a case's audit log (sign-offs, reopenings, label changes after sign-off with their reasons)."""

from __future__ import annotations

from typing import Any

from tests.backend.test_review_station import fill_case


def test_only_members_of_the_case_read_its_audit_log(
    client: Any, alice: Any, bob: Any, sign_up: Any, admin: Any
) -> None:
    """The audit log names reviewers and their reasons: a non-member gets the same 404 as for a case that does
    not exist; a member (any role) and an administrator read it; without a token it is a 401."""
    case = alice.post("projects", json={"name": "Case 9"}).json()["id"]
    [cell] = fill_case(client, case, ["neutrophil"])
    assert alice.post(f"projects/{case}/sign-off", json={"comment": "done"}).status_code == 200
    body = {"label_set": "cell_type", "label": "monocyte", "reason": "folded nucleus"}
    assert alice.post(f"images/{cell}/labels", json=body).status_code == 201
    outsider = bob.get(f"projects/{case}/audit")
    assert outsider.status_code == 404 and "not a member" in outsider.json()["detail"]
    assert client.get(f"/api/v1/projects/{case}/audit").status_code == 401
    rita = sign_up("rita", "reviewer")
    assert rita.get(f"projects/{case}/audit").status_code == 404
    assert alice.post(f"projects/{case}/members", json={"username": "rita"}).status_code == 201
    for reader in (rita, admin, alice):
        log = reader.get(f"projects/{case}/audit")
        assert log.status_code == 200
        assert [(e["action"], e["username"], e["reason"]) for e in log.json()] == [
            ("sign_off", "alice", "done"),
            ("set", "alice", "folded nucleus"),
        ]
