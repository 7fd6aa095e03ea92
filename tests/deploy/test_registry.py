"""Model registry on the embedded store, for real: upload, activate, roll back, hot reload, re-score, admin API."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hemosight.cli import main as hemosight
from hemosight.core.model_registry import ModelRegistrationError, comparable_metrics, register_bundle, rollback
from hemosight.core.settings import Settings
from hemosight.core.store.base import Image, Project
from hemosight.core.store.sqlite import SQLiteStore
from hemosight.worker.runner import Worker, WorkerConfig

REPO = Path(__file__).resolve().parents[2]
ORIGINALS = sorted((REPO / "tests/fixtures/originals").glob("*.jpg"))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = hemosight(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_cli_upload_list_activate_rollback(tmp_path: Path, bundles: dict[str, Path], capsys) -> None:
    data = str(tmp_path / "data")
    source = tmp_path / "incoming.hsb"
    shutil.copy(bundles["v1"], source)
    code, out = run(capsys, "models", "upload", str(source), "--activate", "--created-by", "alice", "--data-dir", data)
    assert code == 0 and "Registered model v1 into the store and made it active." in out
    source.unlink()  # the store keeps its own copy
    digest = hashlib.sha256(bundles["v1"].read_bytes()).hexdigest()
    assert (tmp_path / "data/models" / f"{digest}.hsb").read_bytes() == bundles["v1"].read_bytes()

    assert run(capsys, "models", "upload", str(bundles["v2"]), "--data-dir", data)[0] == 0
    code, out = run(capsys, "models", "list", "--metrics", "--data-dir", data)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("* v1") and "by alice" in lines[0] and "held_out.cell_type.macro_f1=0.8100" in lines[0]
    assert any(line.startswith("  v2 ") and "macro_f1=0.9300" in line for line in lines)
    assert lines[0].split()[2].endswith(".hsb")  # marker, version, where the bundle is kept
    (row,) = [line for line in lines if line.startswith("held_out.cell_type.macro_f1 ")]
    assert row.split()[1:] == ["0.8100", "0.9300"]  # the comparison table, one column per version
    assert "training.epochs" not in out  # how a model was trained is not a score

    code, out = run(capsys, "models", "rollback", "--data-dir", data)
    assert code == 2 and "no previously active model version" in out
    assert run(capsys, "models", "activate", "v2", "--data-dir", data)[0] == 0
    code, out = run(capsys, "models", "rollback", "--data-dir", data)
    assert code == 0 and "model v1 is active again" in out
    code, out = run(capsys, "models", "activate", "v9", "--data-dir", data)
    assert code == 2 and "No model version 'v9'" in out
    assert run(capsys, "models", "list", "--data-dir", data)[1].startswith("* v1")


def test_add_registers_in_place_and_a_broken_upload_is_refused(
    tmp_path: Path, bundles: dict[str, Path], capsys
) -> None:
    data = str(tmp_path / "data")
    assert run(capsys, "models", "add", str(bundles["v1"]), "--data-dir", data)[0] == 0
    assert str(bundles["v1"]) in run(capsys, "models", "list", "--data-dir", data)[1]
    assert not (tmp_path / "data/models").exists()
    broken = tmp_path / "broken.hsb"
    broken.write_bytes(bundles["v2"].read_bytes()[:5000])
    code, out = run(capsys, "models", "upload", str(broken), "--data-dir", data)
    assert code == 2 and "truncated" in out


@pytest.mark.anyio
async def test_workers_hot_reload_record_the_version_and_a_project_can_be_rescored(
    tmp_path: Path, bundles: dict[str, Path]
) -> None:
    store = SQLiteStore(tmp_path / "data")
    await store.open()
    try:
        await register_bundle(store, bundles["v1"], activate=True, upload=True, registered_by="alice")
        project = await store.create_project(Project(name="Case", owner_id="u1"))
        for path in ORIGINALS[:3]:
            image = Image(project.id, path.name, "", 0, "jpeg", 360, 363, "u1")
            await store.add_image(image, path.read_bytes())
        worker = Worker(store, WorkerConfig(batch_size=8, model_cache_dir=tmp_path / "cache"))
        assert await worker.run_until_idle() == 3
        entries = await store.list_image_entries(project.id)
        assert {e.result.model_version for e in entries if e.result} == {"v1"}

        # A new version goes live without restarting the worker; new images record it.
        await register_bundle(store, bundles["v2"], activate=True, upload=True)
        await store.add_image(Image(project.id, "x.jpg", "", 0, "jpeg", 1, 1, "u1"), ORIGINALS[3].read_bytes())
        assert await worker.run_until_idle() == 1
        assert worker.model is not None and worker.model.version == "v2"
        entries = await store.list_image_entries(project.id)
        assert sorted(e.result.model_version for e in entries if e.result) == ["v1", "v1", "v1", "v2"]
        assert worker.metrics.images._value.get() == 4

        # Re-scoring queues the finished images again; the old results stay until the new ones arrive.
        assert await store.requeue_project(project.id) == 4
        assert (await store.job_counts()).get("pending") == 4
        assert all(e.result is not None for e in await store.list_image_entries(project.id))
        assert await worker.run_until_idle() == 4
        entries = await store.list_image_entries(project.id)
        assert {e.result.model_version for e in entries if e.result} == {"v2"}
        assert all(e.job.status == "done" and e.job.attempts == 1 for e in entries)

        # Roll back: the worker returns to v1 before its next batch.
        assert (await rollback(store)).version == "v1"
        assert await worker.refresh_model() and worker.model.version == "v1"
        versions = {m.version: m for m in await store.list_model_versions()}
        assert versions["v1"].registered_by == "alice" and versions["v1"].active and not versions["v2"].active
    finally:
        await store.close()


@pytest.mark.anyio
async def test_the_active_version_cannot_be_replaced_by_other_contents(
    tmp_path: Path, bundles: dict[str, Path]
) -> None:
    import dataclasses

    from hemosight.ml.bundle import ModelBundle

    store = SQLiteStore(tmp_path / "data")
    await store.open()
    try:
        await register_bundle(store, bundles["v1"], activate=True, upload=True)
        other = dataclasses.replace(ModelBundle.load(bundles["v2"]), version="v1").save(tmp_path / "other-v1.hsb")
        with pytest.raises(ModelRegistrationError, match="another version name"):
            await register_bundle(store, other, upload=True)
    finally:
        await store.close()


def test_comparable_metrics_flattens_numbers_and_skips_training_settings() -> None:
    metrics = {"held_out": {"cell_type": {"macro_f1": 0.9, "ok": True}}, "training": {"epochs": 30}, "references": 5}
    assert comparable_metrics(metrics) == {"held_out.cell_type.macro_f1": 0.9, "references": 5.0}


# --- the admin API ------------------------------------------------------------------------------
def settings_for(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        secret_key="test-secret-" + "x" * 32,
        frontend_dist=tmp_path / "no-frontend",
        default_model=tmp_path / "none.hsb",
    )


def sign_in(client: TestClient, username: str, role: str) -> dict[str, str]:
    from hemosight.core.accounts import create_user

    client.portal.call(create_user, client.app.state.store, username, "correct horse", role)  # type: ignore[union-attr,attr-defined]
    response = client.post("/api/v1/auth/login", data={"username": username, "password": "correct horse"})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_admin_api_upload_activate_rollback_rescore_and_metrics(tmp_path: Path, bundles: dict[str, Path]) -> None:
    from hemosight.api.main import create_app

    with TestClient(create_app(settings_for(tmp_path))) as client:
        admin = sign_in(client, "admin", "admin")
        alice = sign_in(client, "alice", "pathologist")

        def upload(name: str, headers: dict[str, str], activate: bool = False):
            with open(bundles[name], "rb") as handle:
                return client.post(
                    "/api/v1/model-versions",
                    headers=headers,
                    files={"file": (f"{name}.hsb", handle, "application/zip")},
                    data={"activate": str(activate).lower()},
                )

        assert upload("v1", alice).status_code == 403
        created = upload("v1", admin, activate=True)
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["active"] and body["stored"] and body["registered_by"] == "admin"
        assert body["comparable_metrics"] == {"held_out.cell_type.macro_f1": 0.81}
        assert upload("v2", admin).json()["active"] is False
        bad = client.post(
            "/api/v1/model-versions", headers=admin, files={"file": ("x.hsb", b"not a bundle", "application/zip")}
        )
        assert bad.status_code == 400 and "x.hsb" in bad.json()["detail"]

        assert client.post("/api/v1/model-versions/v2/activate", headers=alice).status_code == 403
        assert client.post("/api/v1/model-versions/nope/activate", headers=admin).status_code == 404
        activated = client.post("/api/v1/model-versions/v2/activate", headers=admin)
        assert activated.status_code == 200 and activated.json()["activated_at"]
        back = client.post("/api/v1/model-versions/rollback", headers=admin)
        assert back.status_code == 200 and back.json()["version"] == "v1"
        listed = client.get("/api/v1/model-versions", headers=alice).json()
        assert [(m["version"], m["active"]) for m in listed] == [("v1", True), ("v2", False)]

        project = client.post("/api/v1/projects", headers=alice, json={"name": "Case"}).json()
        with open(ORIGINALS[0], "rb") as handle:
            uploaded = client.post(
                f"/api/v1/projects/{project['id']}/images",
                headers=alice,
                files=[("files", (ORIGINALS[0].name, handle, "image/jpeg"))],
            )
        assert uploaded.status_code in (200, 201), uploaded.text
        rescored = client.post(f"/api/v1/projects/{project['id']}/rescore", headers=alice)
        assert rescored.status_code == 202
        assert rescored.json() == {"project_id": project["id"], "model_version": "v1", "queued": 0}  # still pending

        metrics = client.get("/metrics")
        assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
        text = metrics.text
        assert 'hemosight_queue_depth{status="pending"} 1.0' in text
        assert 'hemosight_active_model_info{version="v1"} 1.0' in text
        assert "hemosight_model_versions_registered 2.0" in text
