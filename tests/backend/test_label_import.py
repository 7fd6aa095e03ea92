"""A label import with rows at fault is refused with the rows as data (not only as a sentence)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.backend.conftest import Api
from tests.conftest import ORIGINALS


def _label_set_with_one_image(client: TestClient, admin: Api) -> str:
    """A custom label set 'shape' (round, lobed) and one stored image; returns the image's id."""
    from hemosight.core.store.base import Image

    assert admin.post("label-sets", json={"name": "shape", "classes": ["round", "lobed"]}).status_code == 201
    project = admin.post("projects", json={"name": "Case"}).json()["id"]
    user_id = admin.get("auth/me").json()["id"]
    path = sorted(ORIGINALS.glob("*.jpg"))[0]
    store = client.app.state.store  # type: ignore[attr-defined]
    image = Image(project, path.name, "", 0, "jpeg", 360, 363, user_id)
    stored, _, _ = client.portal.call(store.add_image, image, path.read_bytes())  # type: ignore[union-attr]
    return str(stored.id)


def _import(admin: Api, csv_text: str):
    files = {"file": ("labels.csv", csv_text.encode(), "text/csv")}
    return admin.post("label-sets/shape/labels/import", files=files)


def test_rows_at_fault_come_back_as_structured_problems(client: TestClient, admin: Api) -> None:
    image = _label_set_with_one_image(client, admin)
    response = _import(admin, f"image_id,label\n{image},round\nnope,round\n{image},dragon\n,round\n{image},\n")
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["problems"] == [
        {
            "row": 3,
            "column": "image_id",
            "value": "nope",
            "code": "unknown_image",
            "message": "Line 3: there is no image nope",
        },
        {
            "row": 4,
            "column": "label",
            "value": "dragon",
            "code": "unknown_class",
            "message": "Line 4: 'dragon' is not a class of 'shape'",
        },
        {
            "row": 5,
            "column": "image_id",
            "value": "",
            "code": "empty",
            "message": "Line 5: the image_id is empty; fill it in or remove the row",
        },
        {
            "row": 6,
            "column": "label",
            "value": "",
            "code": "empty",
            "message": "Line 6: the label is empty; fill it in or remove the row",
        },
    ]
    assert body["problem_count"] == 4 and body["classes"] == ["round", "lobed"]
    # every error still has its sentence, for clients that show only `detail`
    assert body["detail"].startswith("Nothing was imported: Line 3: there is no image nope; ")
    assert body["detail"].endswith("Classes of 'shape': round, lobed.")
    assert admin.get("label-sets/shape/labels").json() == []  # one bad row rejects the file

    assert _import(admin, f"image_id,label\n{image},round\n").json() == {"imported": 1, "unchanged": 0}


def test_many_rows_at_fault_are_counted_and_the_first_hundred_listed(client: TestClient, admin: Api) -> None:
    _label_set_with_one_image(client, admin)
    response = _import(admin, "image_id,label\n" + "".join(f"missing-{i},round\n" for i in range(120)))
    assert response.status_code == 400
    body = response.json()
    assert body["problem_count"] == 120 and len(body["problems"]) == 100
    assert body["problems"][-1]["row"] == 101  # line 1 is the header
    assert "(and 115 more)" in body["detail"]


def test_openapi_declares_the_rejected_import_body(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    responses = schema["paths"]["/api/v1/label-sets/{name}/labels/import"]["post"]["responses"]
    rejected = responses["400"]["content"]["application/json"]["schema"]
    assert rejected == {"$ref": "#/components/schemas/LabelImportRejected"}
    schemas = schema["components"]["schemas"]
    assert set(schemas["LabelImportRejected"]["required"]) == {"detail", "problems", "problem_count", "classes"}
    problem = schemas["ImportProblem"]["properties"]
    assert set(problem) == {"row", "column", "value", "code", "message"}
    assert problem["code"]["enum"] == ["empty", "unknown_image", "unknown_class"]
