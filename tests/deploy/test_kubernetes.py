"""The Kubernetes manifests: rendered overlays are valid against the Kubernetes schemas and say what the issue asks."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from scripts.kustomize_lite import KustomizeError, merge, render

REPO = Path(__file__).resolve().parents[2]
OVERLAYS = ["cpu", "gpu"]
#: The oldest Kubernetes release still supported upstream when this was written, and the newest the package knows.
K8S_VERSIONS = ["1.33.0", kubernetes_validate.latest_version()]


def by_key(objects: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(o["kind"], o["metadata"]["name"]): o for o in objects}


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["spec"]["template"]["spec"]


def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(obj)
    return spec.get("initContainers", []) + spec["containers"]


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> tuple[str, dict[tuple[str, str], dict[str, Any]]]:
    return request.param, by_key(render(REPO / "k8s" / "overlays" / request.param))


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_every_rendered_object_is_valid_kubernetes(rendered, version: str) -> None:
    _, objects = rendered
    assert len(objects) >= 10
    for obj in objects.values():
        kubernetes_validate.validate(obj, version, strict=True)


def test_training_job_is_valid_kubernetes_and_registers_the_bundle() -> None:
    (job,) = [d for d in yaml.safe_load_all((REPO / "k8s/jobs/train-job.yaml").read_text()) if d]
    kubernetes_validate.validate(job, K8S_VERSIONS[0], strict=True)
    spec = pod_spec(job)
    (train,) = spec["initContainers"]
    assert train["args"][0] == "train" and train["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert spec["nodeSelector"] and spec["restartPolicy"] == "Never"
    (register,) = spec["containers"]
    assert register["args"][:2] == ["models", "upload"]


def test_an_invalid_object_is_rejected_by_the_validator() -> None:
    """The validation above can fail: a typo in a field name is caught in strict mode."""
    bad = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}, "spec": {"prots": []}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, K8S_VERSIONS[0], strict=True)


def test_workloads_have_probes_resources_and_run_as_non_root(rendered) -> None:
    _, objects = rendered
    workloads = [o for o in objects.values() if o["kind"] in ("Deployment", "StatefulSet", "Job")]
    for obj in workloads:
        assert pod_spec(obj)["securityContext"]["runAsNonRoot"] is True, obj["metadata"]["name"]
        for c in containers(obj):
            assert {"cpu", "memory"} <= set(c["resources"]["requests"]), c["name"]
            assert {"cpu", "memory"} <= set(c["resources"]["limits"]), c["name"]
            assert c["securityContext"]["allowPrivilegeEscalation"] is False
            assert not c["image"].endswith(":latest"), f"{c['image']} must be a pinned tag in the overlay"
    backend = containers(objects[("Deployment", "backend")])[0]
    assert backend["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert backend["readinessProbe"]["httpGet"]["path"] == "/readyz"
    worker = containers(objects[("Deployment", "worker")])[0]
    assert worker["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_every_deployment_has_a_disruption_budget_and_workers_autoscale(rendered) -> None:
    _, objects = rendered
    budgets = [o["spec"]["selector"]["matchLabels"] for o in objects.values() if o["kind"] == "PodDisruptionBudget"]
    for obj in objects.values():
        if obj["kind"] in ("Deployment", "StatefulSet"):
            assert obj["spec"]["selector"]["matchLabels"] in budgets, obj["metadata"]["name"]
    hpa = objects[("HorizontalPodAutoscaler", "worker")]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "worker"
    assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


def test_selectors_match_their_pod_templates(rendered) -> None:
    _, objects = rendered
    for obj in objects.values():
        if obj["kind"] in ("Deployment", "StatefulSet"):
            labels = obj["spec"]["template"]["metadata"]["labels"]
            assert obj["spec"]["selector"]["matchLabels"].items() <= labels.items()
    for obj in objects.values():
        if obj["kind"] == "Service":
            selector = obj["spec"]["selector"].items()
            assert any(
                selector <= o["spec"]["template"]["metadata"]["labels"].items()
                for o in objects.values()
                if o["kind"] in ("Deployment", "StatefulSet")
            ), obj["metadata"]["name"]


def test_settings_come_from_configmap_and_secret_and_no_secret_is_committed(rendered) -> None:
    _, objects = rendered
    assert not [k for k in objects if k[0] == "Secret"], "secrets are created in the cluster, never committed"
    assert ("ConfigMap", "hemosight-config") in objects
    for name in ("backend", "worker"):
        env = {e["name"]: e for e in containers(objects[("Deployment", name)])[0]["env"]}
        for key in ("HEMOSIGHT_SECRET_KEY", "HEMOSIGHT_MONGO_URI"):
            assert env[key]["valueFrom"]["secretKeyRef"]["name"] == "hemosight-secrets"
    assert all(o["metadata"].get("namespace") == "hemosight" for k, o in objects.items() if k[0] != "Namespace")


def test_gpu_overlay_requests_a_gpu_and_selects_gpu_nodes_cpu_overlay_does_not(rendered) -> None:
    overlay, objects = rendered
    worker = objects[("Deployment", "worker")]
    (container,) = pod_spec(worker)["containers"]
    if overlay == "gpu":
        assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
        assert container["resources"]["requests"]["nvidia.com/gpu"] == 1
        assert pod_spec(worker)["nodeSelector"]
        assert "worker-gpu" in container["image"]
        assert ("StatefulSet", "mongo") not in objects  # external MongoDB through the Secret
    else:
        assert "nvidia.com/gpu" not in container["resources"]["limits"]
        assert "nodeSelector" not in pod_spec(worker)
        mongo = objects[("StatefulSet", "mongo")]
        assert "--replSet" in pod_spec(mongo)["containers"][0]["args"]
        assert ("Job", "mongo-init-replica-set") in objects


def test_ingress_sends_the_api_to_the_backend(rendered) -> None:
    _, objects = rendered
    paths = objects[("Ingress", "hemosight")]["spec"]["rules"][0]["http"]["paths"]
    routes = {p["path"]: p["backend"]["service"]["name"] for p in paths}
    assert routes == {"/api": "backend", "/": "frontend"}


# --- the renderer ------------------------------------------------------------------------------
def test_merge_follows_strategic_merge_for_named_lists() -> None:
    base = {"containers": [{"name": "a", "env": [{"name": "X", "value": "1"}], "args": ["x"]}], "keep": 1}
    patch = {"containers": [{"name": "a", "env": [{"name": "Y", "value": "2"}], "args": ["y"]}, {"name": "b"}]}
    out = merge(base, patch)
    assert out["keep"] == 1
    assert [c["name"] for c in out["containers"]] == ["b", "a"]
    assert out["containers"][1]["env"] == [{"name": "Y", "value": "2"}, {"name": "X", "value": "1"}]
    assert out["containers"][1]["args"] == ["y"]  # plain lists are replaced
    assert base["containers"][0]["args"] == ["x"]  # inputs are not modified


def test_renderer_refuses_what_it_does_not_support(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: []\nconfigMapGenerator: []\n")
    with pytest.raises(KustomizeError, match="configMapGenerator"):
        render(tmp_path)


def _real_kustomize(overlay: str) -> list[dict[str, Any]] | None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return None
    done = subprocess.run([kubectl, "kustomize", str(REPO / "k8s/overlays" / overlay)], capture_output=True, text=True)
    if done.returncode != 0:  # e.g. Debian's kubectl 1.20, whose kustomize predates `labels`
        return None
    return [d for d in yaml.safe_load_all(done.stdout) if d]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_renderer_matches_real_kustomize_when_available(overlay: str) -> None:
    real = _real_kustomize(overlay)
    if real is None:
        pytest.skip("no kubectl with a recent kustomize on this machine")
    assert by_key(render(REPO / "k8s/overlays" / overlay)) == by_key(real)


def test_the_backend_trusts_forwarded_for_and_only_the_proxies_reach_it(rendered) -> None:
    _, objects = rendered
    backend = objects[("Deployment", "backend")]
    env = {e["name"]: e.get("value") for e in containers(backend)[0]["env"]}
    assert env["HEMOSIGHT_TRUSTED_PROXIES"] == "*"  # else every sign-in counts as the ingress controller's
    policy = objects[("NetworkPolicy", "backend-from-proxies-only")]["spec"]
    assert policy["podSelector"]["matchLabels"] == pod_labels(backend) and policy["policyTypes"] == ["Ingress"]
    [rule] = policy["ingress"]
    sources = [s.get("namespaceSelector", s.get("podSelector"))["matchLabels"] for s in rule["from"]]
    assert {"kubernetes.io/metadata.name": "ingress-nginx"} in sources
    assert pod_labels(objects[("Deployment", "frontend")]) in sources
    assert all("ipBlock" not in s for s in rule["from"]), "no address range may send its own X-Forwarded-For"


def pod_labels(obj: dict[str, Any]) -> dict[str, str]:
    return {"app.kubernetes.io/name": obj["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]}
