"""Operations: worker probes and metrics, JSON logs, back-up and restore of the embedded store."""

from __future__ import annotations

import io
import json
import logging
import sqlite3
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from hemosight.cli import main as hemosight
from hemosight.core.backup import BackupError, backup, restore
from hemosight.core.logs import JsonFormatter, configure_logging
from hemosight.core.model_registry import register_bundle
from hemosight.core.store.base import Image, Project, User
from hemosight.core.store.sqlite import SQLiteStore
from hemosight.worker.probes import serve_probes
from hemosight.worker.runner import Worker, WorkerConfig

REPO = Path(__file__).resolve().parents[2]
ORIGINALS = sorted((REPO / "tests/fixtures/originals").glob("*.jpg"))


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


async def filled_store(data_dir: Path, bundle: Path, images: int = 3) -> tuple[SQLiteStore, Project]:
    store = SQLiteStore(data_dir)
    await store.open()
    await store.create_user(User("admin", "hash", "admin"))
    await register_bundle(store, bundle, activate=True, upload=True)
    project = await store.create_project(Project(name="Case", owner_id="u1"))
    for path in ORIGINALS[:images]:
        await store.add_image(Image(project.id, path.name, "", 0, "jpeg", 360, 363, "u1"), path.read_bytes())
    return store, project


@pytest.mark.anyio
async def test_worker_probes_and_metrics_count_results_and_failures(tmp_path: Path, bundles: dict[str, Path]) -> None:
    store, project = await filled_store(tmp_path / "data", bundles["v1"])
    await store.add_image(Image(project.id, "bad.jpg", "", 0, "jpeg", 1, 1, "u1"), b"not an image at all")
    try:
        worker = Worker(store, WorkerConfig(model_cache_dir=tmp_path / "cache"))
        server = serve_probes(worker, 0, host="127.0.0.1")
        base = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            assert fetch(f"{base}/healthz")[0] == 503  # the loop has not run yet
            assert fetch(f"{base}/readyz")[0] == 503  # no model loaded
            worker.metrics.last_loop.set_to_current_time()
            assert await worker.run_until_idle() == 3
            assert fetch(f"{base}/healthz")[0] == 200
            assert fetch(f"{base}/readyz")[0] == 200
            status, text = fetch(f"{base}/metrics")
            assert status == 200
            assert "hemosight_images_classified_total 3.0" in text
            assert "hemosight_job_latency_seconds_count 3.0" in text
            assert 'hemosight_worker_model_info{version="v1"} 1.0' in text
            assert "hemosight_batch_seconds_count 1.0" in text
            assert 'hemosight_job_failures_total{reason="decode"} 1.0' in text
            assert fetch(f"{base}/other")[0] == 404
        finally:
            server.shutdown()
    finally:
        await store.close()


def test_json_logs_are_one_object_per_line_with_extra_fields(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("worker", "json", "INFO")
        logging.getLogger("hemosight.test").info("Classified %d image(s).", 3, extra={"model_version": "v1"})
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("hemosight.test").exception("It failed.")
        lines = capsys.readouterr().err.strip().splitlines()
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
    first, second = (json.loads(line) for line in lines[-2:])
    assert first["message"] == "Classified 3 image(s)." and first["model_version"] == "v1"
    assert first["level"] == "info" and first["service"] == "worker" and first["logger"] == "hemosight.test"
    assert second["level"] == "error" and "ValueError: boom" in second["exception"]
    record = logging.LogRecord("x", logging.INFO, "", 0, "plain", None, None)
    assert set(json.loads(JsonFormatter("backend").format(record))) == {"time", "level", "service", "logger", "message"}


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_access_log_lines_carry_no_bearer_token(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    token = "eyJhbGciOiAiSFMyNTYifQ.eyJzdWIiOiAidSJ9.c2lnbmF0dXJl"
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("backend", fmt, "INFO")
        # The call uvicorn's HTTP protocol makes for every request (uvicorn/protocols/http/h11_impl.py).
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", f"/api/v1/images/a/thumbnail?access_token={token}&x=1",
            "1.1", 200,
        )  # fmt: skip
        line = capsys.readouterr().err.strip().splitlines()[-1]
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
    assert token not in line and "c2lnbmF0dXJl" not in line
    assert "/api/v1/images/a/thumbnail?access_token=REDACTED&x=1" in line


@pytest.mark.anyio
async def test_backup_while_open_then_restore_round_trip(tmp_path: Path, bundles: dict[str, Path]) -> None:
    store, project = await filled_store(tmp_path / "data", bundles["v1"])
    (tmp_path / "data/secret_key").write_text("s3cret")
    try:
        worker = Worker(store, WorkerConfig(model_cache_dir=tmp_path / "cache"))
        assert await worker.run_until_idle() == 3
        before = await store.list_image_entries(project.id)
        # the store is still open; the signing key only when asked for
        manifest = backup(tmp_path / "data", tmp_path / "backups/hemosight.tar.gz", include_secret_key=True)
    finally:
        await store.close()
    assert manifest["counts"] == {
        "users": 1,
        "projects": 1,
        "images": 3,
        "jobs": 3,
        "results": 3,
        "model_versions": 1,
    }

    restored_dir = tmp_path / "restored"
    restore(tmp_path / "backups/hemosight.tar.gz", restored_dir)
    restored = SQLiteStore(restored_dir)
    await restored.open()
    try:
        after = await restored.list_image_entries(project.id)
        assert [(e.image.id, e.job.status, e.result.labels if e.result else None) for e in after] == [
            (e.image.id, e.job.status, e.result.labels if e.result else None) for e in before
        ]
        for entry in after:
            assert await restored.read_image_bytes(entry.image.sha256) == (
                ORIGINALS[[p.name for p in ORIGINALS].index(entry.image.filename)].read_bytes()
            )
        active = await restored.active_model_version()
        assert active is not None and active.version == "v1"
        # The uploaded bundle came back too; a worker on the restored store loads it from there.
        restored_bundle = restored_dir / "models" / f"{active.checksum}.hsb"
        assert restored_bundle.read_bytes() == bundles["v1"].read_bytes()
    finally:
        await restored.close()
    assert (restored_dir / "secret_key").read_text() == "s3cret"
    assert (restored_dir / "secret_key").stat().st_mode & 0o777 == 0o600

    with pytest.raises(BackupError, match="already holds a database"):
        restore(tmp_path / "backups/hemosight.tar.gz", restored_dir)


def test_restore_refuses_a_damaged_backup(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with sqlite3.connect(data / "hemosight.sqlite3") as conn:
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
        for table in ("users", "projects", "images", "jobs", "results", "model_versions"):
            conn.execute(
                f"CREATE TABLE {table} (id TEXT)" if table != "images" else "CREATE TABLE images (sha256 TEXT)"
            )
        conn.execute("INSERT INTO images VALUES ('abcd" + "0" * 60 + "')")
    (data / "images/ab/cd").mkdir(parents=True)
    (data / "images/ab/cd" / ("abcd" + "0" * 60)).write_bytes(b"cell")
    backup(data, tmp_path / "good.tar.gz")
    # Re-pack with one image altered: the checksum in the manifest no longer matches.
    with tarfile.open(tmp_path / "good.tar.gz") as src, tarfile.open(tmp_path / "bad.tar.gz", "w:gz") as dst:
        for member in src.getmembers():
            data_bytes = src.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "images/ab/cd/abcd" + "0" * 60:
                data_bytes, member.size = b"CELL", 4
            import io

            dst.addfile(member, io.BytesIO(data_bytes))
    with pytest.raises(BackupError, match="damaged"):
        restore(tmp_path / "bad.tar.gz", tmp_path / "target")
    assert not (tmp_path / "target/hemosight.sqlite3").exists()
    (tmp_path / "junk.tar.gz").write_bytes(b"junk")
    with pytest.raises(BackupError, match="not a HemoSight backup"):
        restore(tmp_path / "junk.tar.gz", tmp_path / "target")


@pytest.mark.anyio
async def test_backups_are_private_and_leave_the_signing_key_out(tmp_path: Path, bundles: dict[str, Path]) -> None:
    store, _ = await filled_store(tmp_path / "data", bundles["v1"], images=1)
    await store.close()
    (tmp_path / "data/secret_key").write_text("s3cret")
    out = tmp_path / "b.tar.gz"
    manifest = backup(tmp_path / "data", out)
    assert out.stat().st_mode & 0o777 == 0o600
    assert "secret_key" not in manifest["files"]  # type: ignore[operator]
    with tarfile.open(out) as archive:
        assert "secret_key" not in archive.getnames()
    restore(out, tmp_path / "restored")
    assert not (tmp_path / "restored/secret_key").exists()  # a new one is made on start: everyone signs in again


@pytest.mark.anyio
async def test_every_image_row_of_a_backup_has_its_file(tmp_path: Path, bundles: dict[str, Path]) -> None:
    store, project = await filled_store(tmp_path / "data", bundles["v1"])
    entries = await store.list_image_entries(project.id)
    await store.close()
    # A file gone while its row is still in the database (what a project deleted during the copy looked like):
    # the backup refuses instead of writing an archive that restores rows without images.
    (
        tmp_path / "data/images" / entries[0].image.sha256[:2] / entries[0].image.sha256[2:4] / entries[0].image.sha256
    ).unlink()
    with pytest.raises(BackupError, match="1 image"):
        backup(tmp_path / "data", tmp_path / "b.tar.gz")
    assert not (tmp_path / "b.tar.gz").exists()
    # And restore checks it too, for archives written otherwise (older versions, hand-made ones).
    good = tmp_path / "good"
    store, project = await filled_store(good, bundles["v1"])
    await store.close()
    backup(good, tmp_path / "good.tar.gz")
    with tarfile.open(tmp_path / "good.tar.gz") as src, tarfile.open(tmp_path / "holed.tar.gz", "w:gz") as dst:
        dropped = next(m.name for m in src.getmembers() if m.name.startswith("images/"))
        manifest = json.loads(src.extractfile("backup-manifest.json").read())  # type: ignore[union-attr]
        del manifest["files"][dropped]
        for member in src.getmembers():
            if member.name == dropped:
                continue
            data_bytes = src.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "backup-manifest.json":
                data_bytes = json.dumps(manifest).encode()
                member.size = len(data_bytes)
            dst.addfile(member, io.BytesIO(data_bytes))
    with pytest.raises(BackupError, match="1 image"):
        restore(tmp_path / "holed.tar.gz", tmp_path / "target")
    assert not (tmp_path / "target/hemosight.sqlite3").exists()


def test_backup_and_restore_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    assert hemosight(["models", "list", "--data-dir", str(data)]) == 0  # creates an empty store
    assert hemosight(["backup", str(tmp_path / "b.tar.gz"), "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert "0 users" in out and "signing key is not in it" in out
    (data / "secret_key").write_text("s3cret")
    assert hemosight(["backup", str(tmp_path / "k.tar.gz"), "--data-dir", str(data), "--include-secret-key"]) == 0
    with tarfile.open(tmp_path / "k.tar.gz") as archive:
        assert "secret_key" in archive.getnames()
    assert hemosight(["restore", str(tmp_path / "b.tar.gz"), "--data-dir", str(data)]) == 2
    assert "--force" in capsys.readouterr().err
    assert hemosight(["restore", str(tmp_path / "b.tar.gz"), "--data-dir", str(data), "--force"]) == 0


def test_grafana_dashboard_uses_only_metrics_that_exist() -> None:
    import re

    dashboard = json.loads((REPO / "deploy/grafana-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    source = (REPO / "backend/hemosight/core/metrics.py").read_text()
    defined = set(re.findall(r'"(hemosight_\w+)"', source))
    names = {m for e in exprs for m in re.findall(r"hemosight_\w+", e)}
    # Prometheus adds _total, _bucket, _count, _sum and (Info metrics) _info to the names in the source.
    used = {n if n in defined else re.sub(r"_(bucket|total|count|sum|info)$", "", n) for n in names}
    assert used and used <= defined, used - defined
    assert {"hemosight_queue_depth", "hemosight_job_latency_seconds", "hemosight_images_classified"} <= used
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
