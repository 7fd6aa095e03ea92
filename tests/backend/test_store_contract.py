"""The contract every Store implementation keeps: run against SQLite always, MongoDB when configured.

These are the guarantees the job pipeline depends on (see backend/hemosight/core/store/base.py), checked
through the interface only, so a new store passes or fails the same suite.
"""

from __future__ import annotations

import asyncio
import io
import time

import pytest
from PIL import Image as PILImage

from hemosight.core.settings import Settings
from hemosight.core.store import open_store
from hemosight.core.store.base import (
    SCHEMA_VERSION,
    ConflictError,
    Image,
    ModelVersion,
    NeighbourRecord,
    Project,
    Result,
    Store,
    User,
)

pytestmark = pytest.mark.anyio


def png(seed: int) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (16, 16), (seed % 256, (seed * 7) % 256, 3)).save(buffer, format="PNG")
    return buffer.getvalue()


async def make_project(store: Store, owner: str = "u1", name: str = "Slide 1") -> Project:
    return await store.create_project(Project(name=name, owner_id=owner))


async def upload(store: Store, project: Project, seed: int, filename: str = "cell.png") -> tuple[Image, str, bool]:
    image = Image(
        project_id=project.id, filename=filename, sha256="", size=0, format="PNG", width=16, height=16, uploaded_by="u1"
    )
    stored, job, duplicate = await store.add_image(image, png(seed))
    return stored, job.id, duplicate


def result_for(job_id: str, image: Image, label: str = "neutrophil") -> Result:
    return Result(
        image_id=image.id,
        project_id=image.project_id,
        job_id=job_id,
        model_version="m1",
        default_label_set="cell_type",
        labels={"cell_type": label},
        probabilities={"cell_type": {label: 0.9, "other": 0.1}},
        neighbours=[NeighbourRecord("ref-1", label, 0.25)],
        landscape=(1.5, -2.0),
    )


async def test_schema_version_is_stored_and_reopen_keeps_data(store: Store, store_settings: Settings) -> None:
    assert await store.schema_version() == SCHEMA_VERSION
    await store.create_user(User(username="ann", password_hash="h", role="admin"))
    again = await open_store(store_settings)
    try:
        assert await again.schema_version() == SCHEMA_VERSION
        assert (await again.get_user_by_username("ann")) is not None
    finally:
        await again.close()


async def test_users_are_unique_by_username(store: Store) -> None:
    user = await store.create_user(User(username="ann", password_hash="h", role="pathologist"))
    with pytest.raises(ConflictError, match="already taken"):
        await store.create_user(User(username="ann", password_hash="h2", role="reviewer"))
    assert await store.count_users() == 1
    user.role = "reviewer"
    await store.update_user(user)
    assert (await store.get_user(user.id)).role == "reviewer"  # type: ignore[union-attr]
    assert await store.delete_user(user.id)
    assert await store.get_user_by_username("ann") is None
    assert not await store.delete_user(user.id)


async def test_projects_are_listed_for_their_members_only(store: Store) -> None:
    mine = await make_project(store, owner="u1", name="mine")
    theirs = await make_project(store, owner="u2", name="theirs")
    assert [p.id for p in await store.list_projects("u1")] == [mine.id]
    assert {p.id for p in await store.list_projects()} == {mine.id, theirs.id}
    theirs.member_ids = ["u1"]
    theirs.name = "shared"
    await store.update_project(theirs)
    reread = await store.get_project(theirs.id)
    assert reread is not None and reread.name == "shared" and set(reread.member_ids) == {"u1", "u2"}
    assert {p.id for p in await store.list_projects("u1")} == {mine.id, theirs.id}


async def test_upload_creates_pending_job_and_detects_duplicates_per_project(store: Store) -> None:
    first, second = await make_project(store), await make_project(store, name="other")
    image, job_id, duplicate = await upload(store, first, 1)
    assert not duplicate and image.sha256 and image.size == len(png(1))
    job = await store.get_job(job_id)
    assert job is not None and job.status == "pending" and job.image_id == image.id
    again, again_job, duplicate = await upload(store, first, 1, filename="renamed.png")
    assert duplicate and again.id == image.id and again_job == job_id and again.filename == "cell.png"
    elsewhere, _, duplicate = await upload(store, second, 1)
    assert not duplicate and elsewhere.id != image.id
    assert await store.read_image_bytes(image.sha256) == png(1)
    assert len(await store.list_image_entries(first.id)) == 1


async def test_delete_project_removes_images_results_and_unshared_bytes(store: Store) -> None:
    project, keeper = await make_project(store), await make_project(store, name="keeper")
    image, job_id, _ = await upload(store, project, 1)
    shared, _, _ = await upload(store, project, 2)
    await upload(store, keeper, 2)
    [claimed] = await store.claim_jobs("w1", 1, 30, 3)
    assert claimed.id == job_id
    assert await store.complete_job("w1", job_id, result_for(job_id, image))
    assert await store.delete_project(project.id)
    assert await store.get_project(project.id) is None
    assert await store.get_image(image.id) is None and await store.get_job(job_id) is None
    assert await store.get_result(image.id) is None
    assert await store.read_image_bytes(image.sha256) is None
    assert await store.read_image_bytes(shared.sha256) == png(2)
    assert not await store.delete_project(project.id)


async def test_claims_are_exclusive_oldest_first_and_bounded(store: Store) -> None:
    project = await make_project(store)
    job_ids = [(await upload(store, project, i))[1] for i in range(7)]
    first = await store.claim_jobs("w1", 3, 30, 3)
    assert [j.id for j in first] == job_ids[:3]
    assert all(j.status == "running" and j.worker_id == "w1" and j.attempts == 1 for j in first)
    rest = await asyncio.gather(*(store.claim_jobs(f"w{i}", 2, 30, 3) for i in range(2, 6)))
    claimed = [j.id for batch in rest for j in batch]
    assert sorted(claimed) == sorted(job_ids[3:])
    assert await store.claim_jobs("w9", 5, 30, 3) == []


async def test_concurrent_claims_from_two_connections_never_overlap(store: Store, store_settings: Settings) -> None:
    project = await make_project(store)
    job_ids = {(await upload(store, project, i))[1] for i in range(20)}
    other = await open_store(store_settings)
    try:
        batches = await asyncio.gather(*(s.claim_jobs(f"w{i}", 3, 30, 3) for i in range(4) for s in (store, other)))
    finally:
        await other.close()
    claimed = [j.id for batch in batches for j in batch]
    assert len(claimed) == len(set(claimed)) == 20 and set(claimed) == job_ids


async def test_expired_lease_goes_back_to_pending_and_old_worker_cannot_complete(store: Store) -> None:
    project = await make_project(store)
    image, job_id, _ = await upload(store, project, 1)
    assert [j.id for j in await store.claim_jobs("w1", 1, 0.05, 3)] == [job_id]
    assert await store.claim_jobs("w2", 1, 30, 3) == []
    await asyncio.sleep(0.1)
    [reclaimed] = await store.claim_jobs("w2", 1, 30, 3)
    assert reclaimed.id == job_id and reclaimed.attempts == 2 and reclaimed.worker_id == "w2"
    assert await store.heartbeat("w1", [job_id], 30) == []
    assert not await store.complete_job("w1", job_id, result_for(job_id, image, "lymphocyte"))
    assert await store.complete_job("w2", job_id, result_for(job_id, image, "neutrophil"))
    stored = await store.get_result(image.id)
    assert stored is not None and stored.label == "neutrophil"


async def test_heartbeat_keeps_the_lease(store: Store) -> None:
    project = await make_project(store)
    _, job_id, _ = await upload(store, project, 1)
    await store.claim_jobs("w1", 1, 0.3, 3)
    await asyncio.sleep(0.15)
    assert await store.heartbeat("w1", [job_id], 30) == [job_id]
    await asyncio.sleep(0.3)
    assert await store.claim_jobs("w2", 1, 30, 3) == []
    job = await store.get_job(job_id)
    assert job is not None and job.status == "running" and job.worker_id == "w1"


async def test_job_fails_after_max_attempts_of_lost_leases(store: Store) -> None:
    project = await make_project(store)
    _, job_id, _ = await upload(store, project, 1)
    for attempt in (1, 2):
        [job] = await store.claim_jobs(f"w{attempt}", 1, 0.05, 2)
        assert job.attempts == attempt
        await asyncio.sleep(0.1)
    assert await store.claim_jobs("w3", 1, 30, 2) == []
    job = await store.get_job(job_id)
    assert job is not None and job.status == "failed" and job.attempts == 2
    assert job.error and "interrupted 2 times" in job.error


async def test_complete_is_idempotent_and_result_is_readable(store: Store) -> None:
    project = await make_project(store)
    image, job_id, _ = await upload(store, project, 1)
    await store.claim_jobs("w1", 1, 30, 3)
    assert await store.complete_job("w1", job_id, result_for(job_id, image))
    assert not await store.complete_job("w1", job_id, result_for(job_id, image, "monocyte"))
    result = await store.get_result(image.id)
    assert result is not None
    assert result.label == "neutrophil" and result.confidence == pytest.approx(0.9)
    assert result.neighbours == [NeighbourRecord("ref-1", "neutrophil", 0.25)]
    assert result.landscape == (1.5, -2.0)
    [entry] = await store.list_image_entries(project.id)
    assert entry.job.status == "done" and entry.result is not None and entry.result.label == "neutrophil"
    single = await store.get_image_entry(image.id)
    assert single is not None and single.result is not None and single.job.id == job_id


async def test_unusable_verdict_is_stored_and_confirmations_survive_re_scoring(store: Store) -> None:
    project = await make_project(store)
    image, job_id, _ = await upload(store, project, 1)
    other, _, _ = await upload(store, project, 2)
    await store.claim_jobs("w1", 1, 30, 3)
    result = result_for(job_id, image)
    result.unusable = "Blank or uniform image: there is almost no contrast, so no cell can be seen."
    assert await store.complete_job("w1", job_id, result)
    stored = await store.get_result(image.id)
    assert stored is not None and stored.unusable == result.unusable
    assert await store.list_usable_confirmations(project.id) == {}
    assert await store.confirm_usable(image.id, "u7")
    assert not await store.confirm_usable("no-such-image", "u7")
    assert await store.list_usable_confirmations(project.id) == {image.id: "u7"}
    assert await store.requeue_project(project.id) >= 1  # re-scoring keeps the person's confirmation
    assert await store.list_usable_confirmations(project.id) == {image.id: "u7"}
    assert other.id not in await store.list_usable_confirmations(project.id)
    assert await store.delete_project(project.id)
    assert await store.list_usable_confirmations(project.id) == {}


async def test_fail_job_retries_until_attempts_run_out(store: Store) -> None:
    project = await make_project(store)
    _, job_id, _ = await upload(store, project, 1)
    await store.claim_jobs("w1", 1, 30, 2)
    assert await store.fail_job("w2", job_id, "not mine", retry=True, max_attempts=2) is None
    assert await store.fail_job("w1", job_id, "Out of memory.", retry=True, max_attempts=2) == "pending"
    await store.claim_jobs("w1", 1, 30, 2)
    assert await store.fail_job("w1", job_id, "Out of memory again.", retry=True, max_attempts=2) == "failed"
    job = await store.get_job(job_id)
    assert job is not None and job.status == "failed" and job.error == "Out of memory again."
    _, other_id, _ = await upload(store, project, 2)
    await store.claim_jobs("w1", 1, 30, 2)
    assert await store.fail_job("w1", other_id, "The image is damaged.", retry=False, max_attempts=2) == "failed"


async def test_wait_for_jobs_wakes_on_upload_from_another_connection(store: Store, store_settings: Settings) -> None:
    project = await make_project(store)
    assert await store.claim_jobs("w1", 1, 30, 3) == []
    other = await open_store(store_settings)
    try:

        async def upload_later() -> None:
            await asyncio.sleep(0.3)
            await upload(other, project, 1)

        started = time.monotonic()
        uploader = asyncio.create_task(upload_later())
        await store.wait_for_jobs(timeout=10)
        waited = time.monotonic() - started
        await uploader
    finally:
        await other.close()
    assert 0.25 < waited < 3.0
    assert len(await store.claim_jobs("w1", 5, 30, 3)) == 1


async def test_wait_for_jobs_times_out_when_nothing_happens(store: Store) -> None:
    await store.claim_jobs("w1", 1, 30, 3)
    started = time.monotonic()
    await store.wait_for_jobs(timeout=0.3)
    assert 0.25 < time.monotonic() - started < 2.0


def model(version: str) -> ModelVersion:
    return ModelVersion(
        version=version,
        path=f"/models/{version}.hsb",
        checksum="c" * 64,
        default_label_set="cell_type",
        label_sets={"cell_type": ["a", "b"]},
        metrics={"macro_f1": 0.9},
        reference_count=10,
    )


async def test_exactly_one_model_version_is_active(store: Store) -> None:
    assert await store.active_model_version() is None
    await store.register_model_version(model("m1"))
    await store.register_model_version(model("m2"))
    assert await store.activate_model_version("m1")
    assert (await store.active_model_version()).version == "m1"  # type: ignore[union-attr]
    assert await store.activate_model_version("m2")
    assert [m.version for m in await store.list_model_versions() if m.active] == ["m2"]
    assert not await store.activate_model_version("missing")
    again = await store.register_model_version(model("m2"))
    assert again.active and again.metrics == {"macro_f1": 0.9} and again.label_sets == {"cell_type": ["a", "b"]}
    assert await store.get_model_version("nope") is None


# --- label sets, labels, audit trail, classifiers (the review loop) -------------------------------
async def classified(store: Store, project: Project, seed: int, label: str, embedding: bytes | None) -> Image:
    image, job_id, _ = await upload(store, project, seed)
    await store.claim_jobs("w1", 1, 30, 3)
    result = result_for(job_id, image, label)
    result.embedding = embedding
    assert await store.complete_job("w1", job_id, result)
    return image


async def test_label_sets_are_unique_and_ensure_keeps_the_stored_one(store: Store) -> None:
    from hemosight.core.store.base import LabelSet

    created = await store.create_label_set(LabelSet(name="reactive", classes=["reactive", "normal"]))
    with pytest.raises(ConflictError, match="already exists"):
        await store.create_label_set(LabelSet(name="reactive", classes=["x", "y"]))
    kept = await store.ensure_label_set(LabelSet(name="reactive", classes=["other"]))
    assert kept.classes == created.classes
    model_set = await store.ensure_label_set(LabelSet(name="cell_type", classes=["a", "b"], kind="model"))
    assert model_set.kind == "model" and [s.name for s in await store.list_label_sets()] == ["reactive", "cell_type"]
    updated = await store.update_label_set_classes("reactive", ["reactive", "normal", "unsure"])
    assert updated is not None and updated.classes == ["reactive", "normal", "unsure"]


async def test_labels_keep_an_audit_trail_and_only_the_latest_change_can_be_undone(store: Store) -> None:
    from hemosight.core.store.base import LabelEvent, LabelSet

    project = await make_project(store)
    image, _, _ = await upload(store, project, 1)
    await store.ensure_label_set(LabelSet(name="cell_type", classes=["neutrophil", "monocyte"], kind="model"))

    def change(label: str, action: str = "set") -> LabelEvent:
        return LabelEvent(image.id, project.id, "cell_type", label, "reviewer", "u1", action)

    [first] = await store.set_labels([change("neutrophil")])
    [second] = await store.set_labels([change("monocyte")])
    assert first.previous_label is None and second.previous_label == "neutrophil"
    [current] = await store.list_labels("cell_type")
    assert current.label == "monocyte" and current.event_id == second.id and current.source == "reviewer"
    assert (await store.get_label_set("cell_type")).labels_version == 2  # type: ignore[union-attr]

    with pytest.raises(ConflictError, match="later change"):
        await store.undo_label_event(first.id, "u2")
    undo = await store.undo_label_event(second.id, "u2")
    assert undo.action == "undo" and undo.label == "neutrophil" and undo.undoes == second.id and undo.user_id == "u2"
    assert [c.label for c in await store.list_labels("cell_type", project.id)] == ["neutrophil"]
    with pytest.raises(ConflictError, match="already undone"):
        await store.undo_label_event(second.id, "u2")
    with pytest.raises(LookupError):
        await store.undo_label_event("nope", "u2")
    undo_first = await store.undo_label_event(first.id, "u2")  # now the latest real change: back to no label
    assert undo_first.label is None and await store.list_labels("cell_type") == []

    history = await store.list_label_events(label_set="cell_type")
    assert [(e.action, e.label) for e in history] == [
        ("set", "neutrophil"),
        ("set", "monocyte"),
        ("undo", "neutrophil"),
        ("undo", None),
    ]
    assert history[1].undone_by == undo.id and history[0].undone_by == undo_first.id
    assert [e.id for e in await store.list_label_events(image_id=image.id)] == [e.id for e in history]
    assert (await store.get_label_event(second.id)).undone_by == undo.id  # type: ignore[union-attr]
    assert await store.list_labels("cell_type", "another-project") == []


async def test_classifier_versions_results_with_embeddings_and_rescoring(store: Store) -> None:
    from hemosight.core.store.base import ClassifierVersion, LabelSet

    project = await make_project(store)
    kept = await classified(store, project, 1, "neutrophil", b"\x00\x3c" * 4)
    await classified(store, project, 2, "monocyte", None)
    assert (await store.get_result(kept.id)).embedding == b"\x00\x3c" * 4  # type: ignore[union-attr]
    [vector] = await store.list_result_vectors("m1")
    assert vector.image_id == kept.id and vector.embedding == b"\x00\x3c" * 4 and vector.labels["cell_type"]
    assert await store.list_result_vectors("m2") == []

    await store.ensure_label_set(LabelSet(name="reactive", classes=["reactive", "normal"], labels_version=0))

    def fitted(labels_version: int, model: str = "m1") -> ClassifierVersion:
        return ClassifierVersion("reactive", model, labels_version, ["normal", "reactive"], b"npz", 12, {"a": 1})

    assert (await store.add_classifier(fitted(1))).version == 1
    assert (await store.add_classifier(fitted(2))).version == 2
    assert (await store.add_classifier(fitted(3, "m2"))).version == 3
    latest = await store.latest_classifiers("m1")
    assert latest["reactive"].version == 2 and latest["reactive"].arrays == b"npz"
    listed = await store.list_classifier_versions("reactive")
    assert [c.version for c in listed] == [1, 2, 3] and listed[0].metrics == {"a": 1} and listed[0].support_size == 12

    changed = await store.update_predictions("reactive", "m1", {kept.id: {"reactive": 0.7, "normal": 0.3}})
    assert changed == 1
    result = await store.get_result(kept.id)
    assert result is not None and result.labels["reactive"] == "reactive" and result.labels["cell_type"]
    assert result.probabilities["reactive"] == {"reactive": 0.7, "normal": 0.3}
    assert await store.update_predictions("reactive", "m2", {kept.id: {"reactive": 0.1, "normal": 0.9}}) == 0

    await store.record_fit("reactive", 5, "m1", "ready", None)
    await store.record_fit("reactive", 4, "m1", "needs_labels", "older outcome")  # ignored: older labels
    stored = await store.get_label_set("reactive")
    assert stored is not None and (stored.fitted_labels_version, stored.status) == (5, "ready")
    await store.record_fit("reactive", 1, "m2", "needs_labels", "another model")  # a model change always counts
    stored = await store.get_label_set("reactive")
    assert stored is not None and (stored.fitted_model_version, stored.message) == ("m2", "another model")


async def test_a_label_change_wakes_waiting_workers(store: Store, store_settings: Settings) -> None:
    from hemosight.core.store.base import LabelEvent, LabelSet

    project = await make_project(store)
    image, _, _ = await upload(store, project, 1)
    await store.claim_jobs("w1", 5, 30, 3)
    await store.ensure_label_set(LabelSet(name="cell_type", classes=["a", "b"], kind="model"))
    other = await open_store(store_settings)
    try:
        await other.claim_jobs("w2", 1, 30, 3)
        waiter = asyncio.create_task(other.wait_for_jobs(10))
        await asyncio.sleep(0.3)
        started = time.monotonic()
        await store.set_labels([LabelEvent(image.id, project.id, "cell_type", "a", "reviewer", "u1")])
        await waiter
        assert time.monotonic() - started < 3
    finally:
        await other.close()


async def test_a_model_file_kept_by_the_store_reads_back_byte_for_byte(store: Store, tmp_path) -> None:
    import hashlib

    source = tmp_path / "bundle.hsb"
    source.write_bytes(b"bundle bytes " * 1000)
    checksum = hashlib.sha256(source.read_bytes()).hexdigest()
    location = await store.save_model_file(source, checksum)
    assert await store.save_model_file(source, checksum) == location  # keeping it twice changes nothing
    model = ModelVersion(
        version="m-file", path=location, checksum=checksum, default_label_set="cell_type", label_sets={}
    )
    local = await store.model_file(model, tmp_path / "cache")
    assert local.read_bytes() == source.read_bytes()


# --- case details, sign-off audit log, first-run account, explanations (the review station) ------
async def test_case_details_and_sign_off_are_kept_with_the_project(store: Store) -> None:
    from datetime import UTC, datetime

    project = await make_project(store, "u1")
    fresh = await store.get_project(project.id)
    assert fresh is not None and fresh.status == "in_review" and fresh.wbc_count is None and fresh.specimen_id == ""
    fresh.specimen_id, fresh.collection_date, fresh.analyser = "S-26-0042", "2026-11-30", "Sysmex XN-1000"
    fresh.wbc_count, fresh.note = 7.4, "left shift?"
    await store.update_project(fresh)
    signed_at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    assert await store.set_case_status(project.id, "signed_off", "u1", signed_at, expected="in_review")
    assert not await store.set_case_status(project.id, "signed_off", "u2", signed_at, expected="in_review")
    # a details change made from a copy read before the sign-off does not undo it
    fresh.note = "written by a slower request"
    await store.update_project(fresh)
    again = await store.get_project(project.id)
    assert again is not None
    assert (again.specimen_id, again.collection_date, again.analyser, again.wbc_count, again.note) == (
        "S-26-0042",
        "2026-11-30",
        "Sysmex XN-1000",
        7.4,
        "written by a slower request",
    )
    assert again.status == "signed_off" and again.signed_off_by == "u1" and again.signed_off_at == signed_at
    assert again.member_ids == ["u1"] and again.owner_id == "u1"
    assert await store.set_case_status(project.id, "in_review", None, None, expected="signed_off")
    reopened = await store.get_project(project.id)
    assert reopened is not None and reopened.status == "in_review" and reopened.signed_off_by is None
    assert not await store.set_case_status("no-such-case", "signed_off", "u1", signed_at, expected="in_review")


async def test_two_racing_sign_offs_leave_exactly_one(store: Store) -> None:
    project = await make_project(store)
    outcomes = await asyncio.gather(
        *(store.set_case_status(project.id, "signed_off", f"u{i}", None, expected="in_review") for i in range(4))
    )
    assert sorted(outcomes) == [False, False, False, True]


async def test_case_events_and_label_reasons_form_the_audit_log(store: Store) -> None:
    from hemosight.core.store.base import CaseEvent, LabelEvent

    project = await make_project(store)
    other = await make_project(store, name="Other")
    image = await classified(store, project, 1, "neutrophil", None)
    await store.add_case_event(CaseEvent(project_id=project.id, action="sign_off", user_id="u1"))
    [change] = await store.set_labels(
        [
            LabelEvent(
                image_id=image.id,
                project_id=project.id,
                label_set="cell_type",
                label="lymphocyte",
                source="reviewer",
                user_id="u2",
                reason="second look",
            )
        ]
    )
    undo = await store.undo_label_event(change.id, "u2", reason="first label was right")
    await store.add_case_event(CaseEvent(project_id=project.id, action="reopen", user_id="u3", reason="new smear"))
    events = await store.list_case_events(project.id)
    assert [(e.action, e.user_id, e.reason) for e in events] == [
        ("sign_off", "u1", None),
        ("reopen", "u3", "new smear"),
    ]
    assert await store.list_case_events(other.id) == []
    changes = await store.list_label_events(project_id=project.id)
    assert [(e.action, e.reason) for e in changes] == [("set", "second look"), ("undo", "first label was right")]
    assert changes[1].id == undo.id and await store.list_label_events(project_id=other.id) == []


async def test_only_one_first_account_even_when_two_race(store: Store) -> None:
    users = [User(username=f"first{i}", password_hash="x", role="admin") for i in range(2)]
    outcomes = await asyncio.gather(*(store.create_first_user(u) for u in users), return_exceptions=True)
    assert sum(isinstance(o, User) for o in outcomes) == 1
    assert sum(isinstance(o, ConflictError) for o in outcomes) == 1
    assert await store.count_users() == 1
    with pytest.raises(ConflictError, match="set-up is over"):
        await store.create_first_user(User(username="late", password_hash="x", role="admin"))


async def test_explanations_are_claimed_once_and_finished_by_the_lease_holder(store: Store) -> None:
    from hemosight.core.store.base import Explanation

    project = await make_project(store)
    image = await classified(store, project, 1, "neutrophil", None)
    assert await store.get_explanation(image.id) is None
    await store.request_explanation(
        Explanation(image_id=image.id, project_id=project.id, model_version="m1", requested_by="u1")
    )
    claimed = await store.claim_explanation("w1", 30, 3)
    assert claimed is not None and claimed.image_id == image.id and claimed.status == "running"
    assert await store.claim_explanation("w2", 30, 3) is None  # leased to w1
    assert not await store.finish_explanation("w2", image.id, b"png", "gradcam++", None)
    assert await store.finish_explanation("w1", image.id, b"\x89PNG", "gradcam++", None)
    done = await store.get_explanation(image.id)
    assert done is not None and done.status == "done" and done.png == b"\x89PNG" and done.method == "gradcam++"
    # asked again (e.g. after re-scoring): queued afresh, and a lost lease goes to another worker
    await store.request_explanation(
        Explanation(image_id=image.id, project_id=project.id, model_version="m2", requested_by="u1")
    )
    assert (await store.claim_explanation("w1", 0.01, 2)) is not None
    await asyncio.sleep(0.05)
    retaken = await store.claim_explanation("w2", 0.01, 2)
    assert retaken is not None and retaken.worker_id == "w2" and retaken.attempts == 2
    await asyncio.sleep(0.05)
    assert await store.claim_explanation("w3", 30, 2) is None  # claimed twice without finishing: failed
    failed = await store.get_explanation(image.id)
    assert failed is not None and failed.status == "failed" and "request it again" in (failed.error or "")


async def test_model_jobs_one_per_kind_leased_with_progress_and_failing_in_words(store: Store) -> None:
    from hemosight.core.store.base import ConflictError, ModelJob

    job = await store.create_model_job(ModelJob("adapt", {"project_ids": ["p1"]}, "admin"))
    with pytest.raises(ConflictError, match="already pending"):
        await store.create_model_job(ModelJob("adapt", {"project_ids": ["p2"]}, "admin"))
    claimed = await store.claim_model_job("w1", lease_seconds=30, max_attempts=2)
    assert claimed is not None and claimed.id == job.id and claimed.status == "running" and claimed.attempts == 1
    assert claimed.params == {"project_ids": ["p1"]}
    assert await store.claim_model_job("w2", lease_seconds=30, max_attempts=2) is None
    assert await store.update_model_job("w1", job.id, "fine-tuning", 0.4, 30)
    assert not await store.update_model_job("w2", job.id, "fine-tuning", 0.5, 30)  # not the lease holder
    seen = await store.get_model_job(job.id)
    assert seen is not None and (seen.phase, seen.fraction) == ("fine-tuning", 0.4)

    # the worker dies: the lease runs out, another worker resumes it, then it dies too and the job fails in words
    await store.update_model_job("w1", job.id, "fine-tuning", 0.4, -1)
    again = await store.claim_model_job("w2", lease_seconds=-1, max_attempts=2)
    assert again is not None and again.worker_id == "w2" and again.attempts == 2
    assert await store.claim_model_job("w3", lease_seconds=30, max_attempts=2) is None
    failed = await store.get_model_job(job.id)
    assert failed is not None and failed.status == "failed" and "interrupted 2 times" in (failed.error or "")
    assert failed.model_version is None

    # a failed job frees its kind; a finished one names the version it registered
    second = await store.create_model_job(ModelJob("adapt", {"project_ids": ["p2"]}, "admin"))
    assert (await store.claim_model_job("w1", 30, 2)).id == second.id  # type: ignore[union-attr]
    assert await store.finish_model_job("w2", second.id, None, "m-lab", False, 2) is None  # not the holder
    assert await store.finish_model_job("w1", second.id, None, "m-lab", False, 2) == "done"
    done = await store.get_model_job(second.id)
    assert done is not None and (done.status, done.model_version, done.fraction) == ("done", "m-lab", 1.0)
    third = await store.create_model_job(ModelJob("adapt", {}, "admin"))
    assert (await store.get_model_job(third.id)).status == "pending"  # type: ignore[union-attr]
