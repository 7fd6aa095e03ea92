"""The REST API against a real app and a real SQLite store: auth, roles, projects, errors in words."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi.testclient import TestClient

from hemosight.core.security import create_access_token

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

if TYPE_CHECKING:
    from tests.backend.conftest import Api


def test_health_and_readiness_need_no_sign_in(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/api/v1/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"database": True, "model_version": None}


def test_openapi_and_docs_are_served(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/projects/{project_id}/images" in schema["paths"]
    assert "/api/v1/projects/{project_id}/differential-count" in schema["paths"]
    assert schema["components"]["schemas"]["HTTPValidationError"]["properties"] == {
        "detail": {"title": "Detail", "type": "string"}
    }
    assert client.get("/api/v1/docs").status_code == 404  # Swagger UI is off unless HEMOSIGHT_API_DOCS=true


def test_swagger_ui_when_asked_for_uses_pinned_files(tmp_path) -> None:
    from hemosight.api.main import create_app
    from tests.backend.conftest import make_settings

    with TestClient(create_app(make_settings(tmp_path, api_docs=True))) as client:
        docs = client.get("/api/v1/docs")
        assert docs.status_code == 200 and "swagger-ui-dist@5.17.14/swagger-ui-bundle.js" in docs.text
        assert "cdn.jsdelivr.net" in docs.headers["content-security-policy"]
        assert "cdn.jsdelivr.net" not in client.get("/healthz").headers["content-security-policy"]


def test_every_response_carries_the_security_headers(client: TestClient, tmp_path) -> None:
    from hemosight.api.main import create_app
    from tests.backend.conftest import make_settings

    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><div id=root></div>")
    (dist / "assets" / "app.js").write_text("console.log(1)")
    with TestClient(create_app(make_settings(tmp_path, frontend_dist=dist))) as app_client:
        responses = [
            client.get("/healthz"),
            client.get("/api/v1/auth/me"),  # 401
            client.get("/api/v1/nowhere"),  # 404
            app_client.get("/"),
            app_client.get("/projects/1"),
            app_client.get("/assets/app.js"),
        ]
    for response in responses:
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"
        policy = dict(part.strip().split(" ", 1) for part in headers["content-security-policy"].split(";"))
        assert policy["script-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
        assert policy["object-src"] == "'none'" and "unsafe-eval" not in headers["content-security-policy"]


def test_every_endpoint_but_login_and_health_needs_a_token(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    # /setup is the first-run set-up, open only while no account exists (tests/backend/test_review_station.py)
    open_paths = {"/api/v1/healthz", "/api/v1/readyz", "/api/v1/auth/login", "/api/v1/setup"}
    checked = 0
    for path, methods in schema["paths"].items():
        if path in open_paths:
            continue
        for method in methods:
            response = client.request(method.upper(), path.replace("{", "").replace("}", ""))
            assert response.status_code == 401, (method, path, response.text)
            assert "sign in" in response.json()["detail"].lower()
            checked += 1
    assert checked >= 20


def test_login_and_me(client: TestClient, alice: Api) -> None:
    wrong = client.post("/api/v1/auth/login", data={"username": "alice", "password": "wrong password"})
    assert wrong.status_code == 401 and wrong.json() == {"detail": "Wrong username or password."}
    unknown = client.post("/api/v1/auth/login", data={"username": "nobody", "password": "whatever1"})
    assert unknown.status_code == 401
    login = client.post("/api/v1/auth/login", data={"username": "alice", "password": "correct horse"})
    body = login.json()
    assert (
        body["token_type"] == "bearer" and body["user"]["username"] == "alice" and body["user"]["role"] == "pathologist"
    )
    me = alice.get("auth/me").json()
    assert me["username"] == "alice" and set(me) >= {"id", "username", "role"}


def test_expired_and_forged_tokens_are_refused_with_words(client: TestClient, alice: Api) -> None:
    user_id = alice.get("auth/me").json()["id"]
    secret = client.app.state.settings.token_secret()  # type: ignore[attr-defined]
    expired = create_access_token(user_id, secret, 60, now=time.time() - 3600)
    response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Your session has expired; sign in again."}
    forged = create_access_token(user_id, "another secret", 3600)
    response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401 and "not valid" in response.json()["detail"]
    garbage = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer ..."})
    assert garbage.status_code == 401
    via_query = client.get("/api/v1/auth/me", params={"access_token": alice.headers["Authorization"][7:]})
    assert via_query.status_code == 200
    query_post = client.post(
        "/api/v1/projects", json={"name": "x"}, params={"access_token": alice.headers["Authorization"][7:]}
    )
    assert query_post.status_code == 401


def test_a_password_change_signs_out_the_sessions_of_the_old_password(
    client: TestClient, admin: Api, alice: Api, bob: Api
) -> None:
    alice_id = alice.get("auth/me").json()["id"]
    role_only = admin.patch(f"users/{alice_id}", json={"role": "reviewer"})
    assert role_only.status_code == 200 and alice.get("auth/me").json()["role"] == "reviewer", "role takes effect"
    assert admin.patch(f"users/{alice_id}", json={"password": "a brand new one"}).status_code == 200
    refused = alice.get("auth/me")
    assert refused.status_code == 401
    assert refused.json() == {
        "detail": "Your password was changed since you signed in; sign in again with the new password."
    }
    assert alice.get("projects").status_code == 401, "every route, not only /me"
    assert bob.get("auth/me").status_code == 200, "other accounts keep their sessions"
    login = client.post("/api/v1/auth/login", data={"username": "alice", "password": "a brand new one"})
    token = login.json()["access_token"]
    fresh = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert fresh.status_code == 200 and fresh.json()["username"] == "alice"


def test_secret_is_generated_once_and_kept_private(tmp_path) -> None:
    from hemosight.core.settings import Settings

    settings = Settings(data_dir=tmp_path / "d")
    secret = settings.token_secret()
    path = tmp_path / "d" / "secret_key"
    assert len(secret) >= 32 and path.read_text() == secret
    assert path.stat().st_mode & 0o077 == 0
    assert Settings(data_dir=tmp_path / "d").token_secret() == secret


def test_admin_manages_users_and_others_cannot(client: TestClient, admin: Api, alice: Api) -> None:
    created = admin.post("users", json={"username": "rita", "password": "long enough", "role": "reviewer"})
    assert created.status_code == 201 and created.json()["role"] == "reviewer"
    assert "password" not in created.text and "hash" not in created.text
    again = admin.post("users", json={"username": "rita", "password": "long enough", "role": "reviewer"})
    assert again.status_code == 409 and "already taken" in again.json()["detail"]
    bad_role = admin.post("users", json={"username": "x", "password": "long enough", "role": "king"})
    assert bad_role.status_code == 422 and "role" in bad_role.json()["detail"]
    assert alice.get("users").status_code == 403
    assert "administrators" in alice.post("users", json={"username": "z", "password": "long enough"}).json()["detail"]
    rita_id = created.json()["id"]
    assert admin.patch(f"users/{rita_id}", json={"role": "pathologist"}).json()["role"] == "pathologist"
    assert admin.patch(f"users/{rita_id}", json={"password": "a new password"}).status_code == 200
    assert client.post("/api/v1/auth/login", data={"username": "rita", "password": "a new password"}).status_code == 200
    own_id = admin.get("auth/me").json()["id"]
    assert admin.delete(f"users/{own_id}").status_code == 400
    assert admin.delete(f"users/{rita_id}").status_code == 204
    assert admin.delete(f"users/{rita_id}").status_code == 404
    assert {u["username"] for u in admin.get("users").json()} == {"admin", "alice"}


def test_projects_crud_and_visibility(client: TestClient, admin: Api, alice: Api, bob: Api) -> None:
    created = alice.post("projects", json={"name": "Case 17"})
    assert created.status_code == 201
    project = created.json()
    assert project["name"] == "Case 17" and project["members"] == ["alice"]
    pid = project["id"]
    assert [p["id"] for p in alice.get("projects").json()] == [pid]
    assert bob.get("projects").json() == []
    for response in (
        bob.get(f"projects/{pid}"),
        bob.patch(f"projects/{pid}", json={"name": "x"}),
        bob.delete(f"projects/{pid}"),
    ):
        assert response.status_code == 404 and "not a member" in response.json()["detail"]
    assert [p["id"] for p in admin.get("projects").json()] == [pid]
    renamed = alice.patch(f"projects/{pid}", json={"name": "Case 17b", "members": ["bob"]})
    assert renamed.json()["name"] == "Case 17b" and renamed.json()["members"] == ["alice", "bob"]
    assert bob.get(f"projects/{pid}").status_code == 200
    unknown_member = alice.patch(f"projects/{pid}", json={"members": ["ghost"]})
    assert unknown_member.status_code == 400 and "ghost" in unknown_member.json()["detail"]
    assert alice.delete(f"projects/{pid}").status_code == 204
    assert alice.get(f"projects/{pid}").status_code == 404


def test_reviewers_look_but_do_not_change(alice: Api, sign_up: Callable[..., Api]) -> None:
    rita = sign_up("rita", "reviewer")
    response = rita.post("projects", json={"name": "mine"})
    assert response.status_code == 403 and "Reviewers" in response.json()["detail"]
    pid = alice.post("projects", json={"name": "Case"}).json()["id"]
    alice.patch(f"projects/{pid}", json={"members": ["rita"]})
    assert rita.get(f"projects/{pid}").status_code == 200
    assert rita.delete(f"projects/{pid}").status_code == 403


def test_malformed_requests_get_words_not_tracebacks(client: TestClient, alice: Api) -> None:
    broken = alice.post("projects", content=b'{"name": "x",', headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and "not valid JSON" in broken.json()["detail"]
    missing = alice.post("projects", json={})
    assert missing.status_code == 422 and missing.json() == {"detail": "The request is not valid: name is required."}
    empty = alice.post("projects", json={"name": ""})
    assert empty.status_code == 422 and "name" in empty.json()["detail"]
    wrong_type = alice.post("projects", json=["a list"])
    assert wrong_type.status_code == 422 and isinstance(wrong_type.json()["detail"], str)
    bad_sort = alice.get("projects/x/images", params={"sort": "colour"})
    assert bad_sort.status_code in (404, 422)


def test_unknown_ids_are_404_with_words(client: TestClient, alice: Api) -> None:
    for path in (
        "projects/0123",
        "projects/0123/images",
        "projects/0123/landscape",
        "projects/0123/differential-count",
        "images/0123",
        "images/0123/file",
        "images/0123/thumbnail",
        "images/0123/neighbours",
        "jobs/0123",
        "references/r1/thumbnail",
    ):
        response = alice.get(path)
        assert response.status_code == 404, path
        assert isinstance(response.json()["detail"], str) and len(response.json()["detail"]) > 15
    unknown_route = alice.get("no/such/thing")
    assert unknown_route.status_code == 404 and "/api/v1/openapi.json" in unknown_route.json()["detail"]
    assert alice.request("PUT", "projects").status_code == 405


def test_model_versions_list_is_empty_without_models(alice: Api) -> None:
    assert alice.get("model-versions").json() == []
    assert alice.get("projects").json() == []


def test_unexpected_errors_become_clean_json(settings) -> None:
    from hemosight.api.main import create_app

    app = create_app(settings)

    @app.get("/api/v1/test-only/boom")
    async def boom() -> None:
        raise RuntimeError("internal detail that must not leak")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/test-only/boom")
    assert response.status_code == 500
    assert response.json() == {
        "detail": "Something went wrong on the server. Try again; if it happens again, tell your administrator."
    }


ODD_IDS = ["x" * 5000, "..%2F..%2Fetc%2Fpasswd", "%00", "ñandú-😀", "1;DROP TABLE images", "{}", "%20"]


def test_odd_ids_and_queries_never_cause_a_server_error(client: TestClient, alice: Api) -> None:
    pid = alice.post("projects", json={"name": "Case"}).json()["id"]
    paths = [
        "projects/{id}",
        "projects/{id}/images",
        "projects/{id}/landscape",
        "projects/{id}/differential-count",
        "images/{id}",
        "images/{id}/file",
        "images/{id}/thumbnail",
        "images/{id}/neighbours",
        "jobs/{id}",
        "references/{id}/thumbnail",
        "users/{id}",
    ]
    for odd in ODD_IDS:
        for path in paths:
            response = alice.get(path.replace("{id}", odd))
            assert 400 <= response.status_code < 500, (path, odd, response.status_code)
            assert isinstance(response.json()["detail"], str)
    for params in ({"sort": "x"}, {"order": "sideways"}, {"status": "lost"}, {"label": "\x00"}):
        response = alice.get(f"projects/{pid}/images", params=params)
        assert response.status_code in (200, 422), params
    bad_format = alice.get(f"projects/{pid}/differential-count", params={"format": "xlsx"})
    assert bad_format.status_code == 422 and "format" in bad_format.json()["detail"]
    assert (
        alice.patch(f"projects/{pid}", content=b"\xff\xfe", headers={"Content-Type": "application/json"}).status_code
        == 400
    )
    assert alice.post("projects", content=b"name=x", headers={"Content-Type": "text/plain"}).status_code == 422
    assert (
        alice.post(
            f"projects/{pid}/images", content=b"garbage", headers={"Content-Type": "multipart/form-data; boundary=x"}
        ).status_code
        < 500
    )
    assert alice.post("auth/login", data={"username": "x" * 10000, "password": ""}).status_code in (401, 422)


def test_tokens_that_are_not_json_objects_are_refused_without_a_traceback(
    client: TestClient, alice: Api, caplog
) -> None:
    for token in ("WzEsMl0.e30.eA", "e30.WzEsMl0.eA", "bnVsbA.bnVsbA.eA", "IngifQ.e30.eA"):
        header = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        query = client.get("/api/v1/auth/me", params={"access_token": token})
        for response in (header, query):
            assert response.status_code == 401, (token, response.text)
            assert "not valid" in response.json()["detail"]
    assert "Traceback" not in caplog.text and not [r for r in caplog.records if r.levelname == "ERROR"]


def test_an_empty_label_queue_is_an_empty_answer(client: TestClient, alice: Api, small_bundle_path) -> None:
    from hemosight.core.model_registry import register_bundle

    client.portal.call(register_bundle, client.app.state.store, small_bundle_path, True)  # type: ignore[union-attr,attr-defined]
    project = alice.post("projects", json={"name": "Empty"}).json()["id"]
    for params in ({}, {"project_id": project}, {"strategy": "cst"}, {"strategy": "cst+al"}, {"strategy": "random"}):
        response = alice.get("label-sets/cell_type/queue", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["review"] == [] and body["confirm"] == [] and body["candidates"] == 0


def test_openapi_declares_the_error_responses_with_their_body(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    error = {"$ref": "#/components/schemas/ErrorPublic"}
    assert schema["components"]["schemas"]["ErrorPublic"]["properties"]["detail"]["type"] == "string"
    # /setup is the first-run set-up, open only while no account exists (tests/backend/test_review_station.py)
    open_paths = {"/api/v1/healthz", "/api/v1/readyz", "/api/v1/auth/login", "/api/v1/setup"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            errors = {code: r for code, r in operation["responses"].items() if code[0] in "45" and code != "422"}
            if path not in open_paths:
                assert "401" in errors, (method, path)
            for code, response in errors.items():
                if path == "/api/v1/readyz":
                    continue  # 503 carries the readiness body
                if (path, code) == ("/api/v1/label-sets/{name}/labels/import", "400"):
                    continue  # a rejected import lists its rows (tests/backend/test_label_import.py)
                assert response["content"]["application/json"]["schema"] == error, (method, path, code)
    login = schema["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert {"401", "429"} <= set(login)
    upload = schema["paths"]["/api/v1/projects/{project_id}/images"]["post"]["responses"]
    assert {"400", "401", "403", "404", "413", "415"} <= set(upload)


def test_label_set_totals_count_only_labels_the_user_can_see(
    client: TestClient, alice: Api, bob: Api, admin: Api, small_bundle_path
) -> None:
    from hemosight.api.labelling import stored_label_set
    from hemosight.core.model_registry import register_bundle
    from hemosight.core.store.base import Image, LabelEvent

    store = client.app.state.store  # type: ignore[attr-defined]
    client.portal.call(register_bundle, store, small_bundle_path, True)  # type: ignore[union-attr]
    client.portal.call(stored_label_set, store, "cell_type")  # type: ignore[union-attr]
    jpeg = sorted((FIXTURES / "originals").glob("*.jpg"))
    events = []
    for api, count in ((alice, 1), (bob, 3)):
        project = api.post("projects", json={"name": "Mine"}).json()["id"]
        user_id = api.get("auth/me").json()["id"]
        for path in jpeg[:count] if api is alice else jpeg[1 : 1 + count]:
            image = Image(project, path.name, "", 0, "jpeg", 360, 363, user_id)
            stored, _, _ = client.portal.call(store.add_image, image, path.read_bytes())  # type: ignore[union-attr]
            events.append(LabelEvent(stored.id, project, "cell_type", "neutrophil", "manual", user_id))
    client.portal.call(store.set_labels, events)  # type: ignore[union-attr]

    def total(api: Api) -> int:
        return next(s["lab_labels"] for s in api.get("label-sets").json() if s["name"] == "cell_type")

    assert (total(alice), total(bob), total(admin)) == (1, 3, 4)
