"""The labelling queue of a new lab: its first suggestions cover the clusters of the lab's embedding."""

from __future__ import annotations

import io

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image as PILImage

from hemosight.core.store.base import Image, Result
from tests.backend.conftest import Api


def png(seed: int) -> bytes:
    buffer = io.BytesIO()
    PILImage.fromarray(np.random.default_rng(seed).integers(0, 255, (8, 8, 3), np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def classified_cells(
    client: TestClient, project_id: str, version: str, clusters: int, per_cluster: int
) -> dict[str, int]:
    """Cells whose embeddings form `clusters` tight, well-apart groups (image id → cluster), all classified.

    The model is equally unsure everywhere except in cluster 0, where it is least sure: an uncertainty
    queue would spend every label there.
    """
    store = client.app.state.store  # type: ignore[attr-defined]
    call = client.portal.call  # type: ignore[union-attr]
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 1, (clusters, 64)) * 10
    cluster_of = {}
    for c in range(clusters):
        for k in range(per_cluster):
            image = Image(project_id, f"c{c}-{k}.png", "", 0, "PNG", 8, 8, "u")
            stored, _, _ = call(store.add_image, image, png(c * 1000 + k))
            cluster_of[stored.id] = c
    jobs = call(store.claim_jobs, "w", clusters * per_cluster, 60.0, 3)
    for job in jobs:
        c = cluster_of[job.image_id]
        vector = (centres[c] + rng.normal(0, 0.1, 64)).astype(np.float16)
        top = 0.55 if c == 0 else 0.9 - 0.01 * rng.random()
        result = Result(
            image_id=job.image_id,
            project_id=project_id,
            job_id=job.id,
            model_version=version,
            default_label_set="cell_type",
            labels={"cell_type": "neutrophil"},
            probabilities={"cell_type": {"neutrophil": top, "lymphocyte": 1 - top}},
            neighbours=[],
            landscape=None,
            embedding=vector.tobytes(),
        )
        assert call(store.complete_job, "w", job.id, result)
    return cluster_of


def test_a_new_labs_first_suggestions_cover_its_clusters_then_margin_takes_over(
    client: TestClient, alice: Api, small_bundle_path
) -> None:
    from hemosight.core.model_registry import register_bundle

    model = client.portal.call(register_bundle, client.app.state.store, small_bundle_path, True)  # type: ignore[union-attr,attr-defined]
    project = alice.post("projects", json={"name": "New lab"}).json()["id"]
    cluster_of = classified_cells(client, project, model.version, clusters=5, per_cluster=12)

    queue = alice.get("label-sets/cell_type/queue", params={"project_id": project, "size": 5}).json()
    assert queue["strategy"] == "lab" and queue["candidates"] == 60
    assert {cluster_of[item["image_id"]] for item in queue["review"]} == set(range(5))
    uncertain = alice.get(
        "label-sets/cell_type/queue", params={"project_id": project, "size": 5, "strategy": "uncertainty"}
    )
    assert {cluster_of[item["image_id"]] for item in uncertain.json()["review"]} == {0}  # what the cold start avoids

    # a lab with enough labels in view gets the uncertainty queue again
    items = [{"image_id": i, "label": "neutrophil"} for i in list(cluster_of)[:25]]
    assert alice.post("labels/bulk", json={"label_set": "cell_type", "items": items}).status_code == 201
    later = alice.get("label-sets/cell_type/queue", params={"project_id": project, "size": 5}).json()
    assert later["strategy"] == "uncertainty" and later["candidates"] == 35
