"""Upload → job → worker → results, read back through the REST API as the browser app does."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from hemosight.api.main import create_app
from hemosight.core.accounts import create_user
from hemosight.core.model_registry import register_bundle
from hemosight.core.settings import Settings
from hemosight.worker.runner import Worker, WorkerConfig


def test_upload_classify_and_review_a_project(settings: Settings, originals: list[Path], bundle_path: Path) -> None:
    with TestClient(create_app(settings)) as client:
        store = client.app.state.store  # type: ignore[attr-defined]
        client.portal.call(create_user, store, "alice", "correct horse", "pathologist")  # type: ignore[union-attr]
        client.portal.call(register_bundle, store, bundle_path, True)  # type: ignore[union-attr]
        token = client.post("/api/v1/auth/login", data={"username": "alice", "password": "correct horse"})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}

        def api(method: str, path: str, **kwargs: object):
            response = client.request(method, f"/api/v1/{path}", headers=headers, **kwargs)  # type: ignore[arg-type]
            assert response.status_code < 300, (path, response.status_code, response.text)
            return response

        assert client.get("/readyz").json() == {"database": True, "model_version": "test-0"}
        [model] = api("GET", "model-versions").json()
        assert model["active"] and model["label_sets"]["cell_type"] and model["default_label_set"] == "cell_type"

        project = api("POST", "projects", json={"name": "Smear 42"}).json()["id"]
        files = [("files", (p.name, p.read_bytes(), "image/jpeg")) for p in originals]
        outcomes = api("POST", f"projects/{project}/images", files=files).json()["files"]
        assert [o["status"] for o in outcomes] == ["accepted"] * len(originals)
        assert {i["status"] for i in api("GET", f"projects/{project}/images").json()} == {"pending"}

        worker = Worker(store, WorkerConfig(batch_size=16))
        assert client.portal.call(worker.run_until_idle) == len(originals)  # type: ignore[union-attr]

        listed = api("GET", f"projects/{project}/images", params={"sort": "confidence", "order": "desc"}).json()
        assert len(listed) == len(originals) and {i["status"] for i in listed} == {"done"}
        confidences = [i["confidence"] for i in listed]
        assert confidences == sorted(confidences, reverse=True) and all(0 < c <= 1 for c in confidences)
        first = listed[0]
        only_label = api("GET", f"projects/{project}/images", params={"label": first["label"]}).json()
        assert only_label and {i["label"] for i in only_label} == {first["label"]}

        image = api("GET", f"images/{first['id']}").json()
        result = image["result"]
        assert result["model_version"] == "test-0" and result["label_set"] == "cell_type"
        assert result["label"] == first["label"] and result["labels"]["cell_type"] == first["label"]
        assert set(result["probabilities"]) == {"cell_type", "cell_size"}
        assert sum(result["probabilities"]["cell_type"].values()) == pytest.approx(1.0, abs=1e-3)
        assert math.isfinite(result["landscape"]["x"]) and math.isfinite(result["landscape"]["y"])
        assert api("GET", f"jobs/{image['job_id']}").json()["status"] == "done"

        neighbours = api("GET", f"images/{first['id']}/neighbours").json()
        assert len(neighbours) == 10 and neighbours == result["neighbours"]
        thumbnail = client.get(neighbours[0]["thumbnail_url"], headers=headers)
        assert thumbnail.status_code == 200 and Image.open(io.BytesIO(thumbnail.content)).format == "JPEG"

        landscape = api("GET", f"projects/{project}/landscape").json()
        assert landscape["model_version"] == "test-0"
        assert len(landscape["references"]) == model["reference_count"] > 10 and len(landscape["cells"]) == len(
            originals
        )
        assert {c["image_id"] for c in landscape["cells"]} == {i["id"] for i in listed}
        # The map marks the cells the grid flags, and a cell the lab has labelled as reviewed (no longer flagged).
        on_map = {c["image_id"]: c for c in landscape["cells"]}
        for item in listed:
            assert on_map[item["id"]]["needs_review"] == item["needs_review"]
            assert on_map[item["id"]]["neighbours_agree"] == item["neighbours_agree"]
            assert on_map[item["id"]]["reviewed_label"] is None
            assert on_map[item["id"]]["runner_up"] == item["runner_up"] is not None
            assert on_map[item["id"]]["runner_up_probability"] == item["runner_up_probability"]
        api("POST", f"images/{first['id']}/labels", json={"label_set": "cell_type", "action": "confirm"})
        reviewed = {c["image_id"]: c for c in api("GET", f"projects/{project}/landscape").json()["cells"]}
        assert reviewed[first["id"]]["reviewed_label"] == first["label"]
        assert reviewed[first["id"]]["needs_review"] is False

        count = api("GET", f"projects/{project}/differential-count").json()
        assert count["label_set"] == "cell_type" and count["total"] == len(originals)
        assert sum(c["count"] for c in count["classes"]) == len(originals)
        assert sum(c["percentage"] for c in count["classes"]) == pytest.approx(100.0, abs=0.5)
        by_label = {c["label"]: c["count"] for c in count["classes"]}
        assert by_label[first["label"]] == len(only_label)
        size_count = api("GET", f"projects/{project}/differential-count", params={"label_set": "cell_size"}).json()
        assert size_count["label_set"] == "cell_size" and size_count["total"] == len(originals)
        unknown = client.get(
            f"/api/v1/projects/{project}/differential-count", params={"label_set": "colour"}, headers=headers
        )
        assert unknown.status_code == 404 and "cell_type" in unknown.json()["detail"]

        as_csv = api("GET", f"projects/{project}/differential-count", params={"format": "csv"})
        assert as_csv.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(as_csv.text)))
        assert rows[0] == ["cell_type", "count", "percentage"] and rows[-1][:2] == ["total", str(len(originals))]
        assert {r[0]: int(r[1]) for r in rows[1:-1]} == by_label

        results = api("GET", f"projects/{project}/results").json()
        assert len(results) == len(originals) and all(r["result"]["label"] for r in results)
        assert {r["image_id"]: r["result"]["label"] for r in results} == {i["id"]: i["label"] for i in listed}
        table = list(csv.DictReader(io.StringIO(api("GET", f"projects/{project}/results?format=csv").text)))
        assert len(table) == len(originals) and set(table[0]) >= {
            "filename",
            "predicted_label",
            "lab_label",
            "cell_type",
            "cell_size",
        }
        assert sorted(r["filename"] for r in table) == sorted(p.name for p in originals)
