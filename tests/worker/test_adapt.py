"""'Adapt to this lab' through the REST API and a real worker: validation, the job, the new version, activation."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hemosight.api.main import create_app
from hemosight.core.accounts import create_user
from hemosight.core.model_registry import register_bundle
from hemosight.core.settings import Settings
from hemosight.core.store.base import ModelJob
from hemosight.ml.imageio import decode_image, encode_jpeg
from hemosight.ml.shifts import LabShift
from hemosight.worker.runner import Worker, WorkerConfig

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def lab_files() -> tuple[list[tuple[str, bytes]], dict[str, str]]:
    """The 72 fixture cells as a new lab's uploads (stain, lamp and zoom shifted), with their classes by file name."""
    rows: list[tuple[Path, str]] = []
    for folder, column in (("originals", "file"), ("pbc", "path")):
        with open(FIXTURES / folder / "labels.csv", newline="") as handle:
            rows += [(FIXTURES / folder / r[column], r["cell_type"]) for r in csv.DictReader(handle)]
    shift = LabShift()
    files = [(f"lab-{i:03d}.jpg", encode_jpeg(shift(decode_image(p.read_bytes())))) for i, (p, _) in enumerate(rows)]
    return files, {name: label for (name, _), (_, label) in zip(files, rows, strict=True)}


def test_adapt_to_a_lab_end_to_end(settings: Settings, bundle_path: Path, tmp_path: Path) -> None:
    with TestClient(create_app(settings)) as client:
        store = client.app.state.store  # type: ignore[attr-defined]
        call = client.portal.call  # type: ignore[union-attr]
        call(create_user, store, "root", "correct horse", "admin")
        call(create_user, store, "alice", "correct horse", "pathologist")
        call(register_bundle, store, bundle_path, True)

        def sign_in(name: str) -> dict[str, str]:
            token = client.post("/api/v1/auth/login", data={"username": name, "password": "correct horse"})
            return {"Authorization": f"Bearer {token.json()['access_token']}"}

        admin, alice = sign_in("root"), sign_in("alice")

        def api(method: str, path: str, headers: dict[str, str] = admin, expect: int | None = None, **kwargs: object):
            response = client.request(method, f"/api/v1/{path}", headers=headers, **kwargs)  # type: ignore[arg-type]
            if expect is None:
                assert response.status_code < 300, (path, response.status_code, response.text)
            else:
                assert response.status_code == expect, (path, response.status_code, response.text)
            return response

        files, classes = lab_files()
        project = api("POST", "projects", json={"name": "Lab 2 smears"}).json()["id"]
        api("POST", f"projects/{project}/images", files=[("files", (n, b, "image/jpeg")) for n, b in files])
        small = api("POST", "projects", json={"name": "Tiny"}).json()["id"]
        api("POST", f"projects/{small}/images", files=[("files", (n, b, "image/jpeg")) for n, b in files[:5]])
        worker = Worker(store, WorkerConfig(batch_size=32, adapt_dir=tmp_path / "adapt"))
        assert call(worker.run_until_idle) == len(files) + 5

        # bad input: clear 4xx in words
        assert api("POST", "model-versions/adapt", alice, 403, json={"project_ids": [project]})
        detail = api("POST", "model-versions/adapt", expect=404, json={"project_ids": ["nope"]}).json()["detail"]
        assert "nope" in detail
        detail = api("POST", "model-versions/adapt", expect=400, json={"project_ids": [small]}).json()["detail"]
        assert "at least 50" in detail and "have 5" in detail
        detail = api("POST", "model-versions/adapt", expect=400, json={"project_ids": [project], "head": "lab"}).json()
        assert "labelled cells" in detail["detail"]
        assert api("POST", "model-versions/adapt", expect=422, json={"project_ids": []})
        assert api("POST", "model-versions/adapt", expect=422, json={"project_ids": [project], "fine_tune_minutes": -1})

        # the lab labels half its cells; an admin starts the adaptation
        images = api("GET", f"projects/{project}/images").json()
        items = [{"image_id": i["id"], "label": classes[i["filename"]]} for i in images[::2]]
        api("POST", "labels/bulk", json={"label_set": "cell_type", "items": items})
        job = api("POST", "model-versions/adapt", expect=202, json={"project_ids": [project], "head": "lab"}).json()
        assert job["status"] == "pending" and job["phase"] == "queued" and job["params"]["cells"] == len(files)
        again = api("POST", "model-versions/adapt", expect=409, json={"project_ids": [project]}).json()["detail"]
        assert "already pending" in again
        assert api("GET", f"model-versions/adapt/{job['id']}", alice, 403)

        call(worker.run_until_idle, 600)
        done = api("GET", f"model-versions/adapt/{job['id']}").json()
        assert done["status"] == "done" and done["fraction"] == 1.0, done
        versions = {m["version"]: m for m in api("GET", "model-versions").json()}
        new = versions[done["model_version"]]
        assert not new["active"] and versions["test-0"]["active"] and new["stored"]
        lab = new["metrics"]["lab"]
        assert lab["old"]["version"] == "test-0" and lab["new"]["version"] == new["version"]
        assert lab["cells"] == len(items) and new["metrics"]["adaptation"]["head"] == "lab"
        assert new["metrics"]["adaptation"]["project_ids"] == [project]
        assert "not_measured" in new["metrics"]["held_out_retention"]
        assert not (tmp_path / "adapt" / job["id"]).exists()  # the working folder is removed

        # activation re-scores the lab's project (and only it) with the new version
        api("POST", f"model-versions/{new['version']}/activate")
        assert {i["status"] for i in api("GET", f"projects/{project}/images").json()} == {"pending"}
        assert {i["status"] for i in api("GET", f"projects/{small}/images").json()} == {"done"}
        call(worker.run_until_idle, 300)
        rescored = api("GET", f"images/{images[1]['id']}").json()["result"]
        assert rescored["model_version"] == new["version"]
        # rolling back re-scores it again with the previous version
        api("POST", "model-versions/rollback")
        assert {i["status"] for i in api("GET", f"projects/{project}/images").json()} == {"pending"}


def test_a_killed_adapt_job_is_resumed_and_a_bad_one_fails_in_words_registering_nothing(
    settings: Settings, bundle_path: Path, tmp_path: Path
) -> None:
    with TestClient(create_app(settings)) as client:
        store = client.app.state.store  # type: ignore[attr-defined]
        call = client.portal.call  # type: ignore[union-attr]
        call(register_bundle, store, bundle_path, True)
        files, _ = lab_files()
        from hemosight.core.store.base import Image, Project

        project = call(store.create_project, Project(name="lab", owner_id="u"))
        for name, data in files[:60]:
            call(store.add_image, Image(project.id, name, "", 0, "JPEG", 0, 0, "u"), data)
        worker = Worker(store, WorkerConfig(batch_size=32, lease_seconds=5, adapt_dir=tmp_path / "adapt"))
        call(worker.run_until_idle)

        # a job whose projects turn out to hold too few cells fails at once, in words, and registers nothing
        bad = call(store.create_model_job, ModelJob("adapt", {"project_ids": ["gone"], "options": {}}, "root"))
        call(worker.run_until_idle)
        failed = call(store.get_model_job, bad.id)
        assert failed.status == "failed" and "at least 50" in failed.error and failed.attempts == 1
        assert [m.version for m in call(store.list_model_versions)] == ["test-0"]

        # a worker dies holding the job: its lease runs out and the next worker finishes it
        job = call(store.create_model_job, ModelJob("adapt", {"project_ids": [project.id], "options": {}}, "root"))
        assert call(store.claim_model_job, "dead-worker", -1.0, 3).id == job.id
        call(worker.run_until_idle)
        finished = call(store.get_model_job, job.id)
        assert finished.status == "done" and finished.attempts == 2 and finished.worker_id is None
        assert len(call(store.list_model_versions)) == 2


def test_the_command_line_queues_or_runs_the_adaptation(
    bundle_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    from hemosight.cli import main
    from hemosight.core.store.base import Image, Project
    from hemosight.core.store.sqlite import SQLiteStore

    data_dir = tmp_path / "data"
    files, _ = lab_files()

    async def setup() -> str:
        store = SQLiteStore(data_dir)
        await store.open()
        await register_bundle(store, bundle_path, True)
        project = await store.create_project(Project(name="lab", owner_id="u"))
        for name, data in files[:55]:
            await store.add_image(Image(project.id, name, "", 0, "JPEG", 0, 0, "u"), data)
        await store.close()
        return project.id

    project = asyncio.run(setup())
    assert main(["adapt", "--data-dir", str(data_dir), "--project", "nope"]) == 2
    assert "No project with id nope" in capsys.readouterr().err
    assert main(["adapt", "--data-dir", str(data_dir), "--project", project, "--head", "lab"]) == 2
    assert "labelled cells" in capsys.readouterr().err

    assert main(["adapt", "--data-dir", str(data_dir), "--project", project, "--run-here", "--no-scale"]) == 0
    out = capsys.readouterr()
    assert "Queued adapt job" in out.out and "Registered model version test-0-lab-" in out.out
    assert "choosing the head" in out.err  # progress, as the job recorded it

    assert main(["adapt", "--data-dir", str(data_dir), "--project", project]) == 0  # queued for a worker
    assert "A worker runs it" in capsys.readouterr().out
    assert main(["adapt", "--data-dir", str(data_dir), "--project", project]) == 2  # one at a time
    assert "already pending" in capsys.readouterr().err
