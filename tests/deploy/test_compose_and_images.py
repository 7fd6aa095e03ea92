"""docker-compose.yml against the Compose specification; Dockerfiles, nginx and YAML lint."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DOCKERFILES = sorted((REPO / "deploy/docker").glob("*.Dockerfile"))


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def compose_schema() -> dict:
    """The compose-spec schema as vendored (with its licence) by the check-jsonschema package."""
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads(vendor.joinpath("compose-spec.json").read_text())


def test_compose_file_follows_the_compose_specification(compose, compose_schema) -> None:
    jsonschema.validate(compose, compose_schema)
    broken = dict(compose, services={"backend": {"image": "x", "depends_on": {"mongo": {"condition": "sometimes"}}}})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, compose_schema)


def test_mongo_is_a_replica_set_initiated_on_first_start_with_a_named_volume(compose) -> None:
    mongo = compose["services"]["mongo"]
    assert "--replSet" in mongo["command"]
    check = " ".join(mongo["healthcheck"]["test"])
    assert "rs.initiate" in check and "isWritablePrimary" in check
    volume = mongo["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]
    assert "ports" not in mongo  # only reachable on the internal network
    assert compose["networks"][mongo["networks"][0]]["internal"] is True


def test_services_start_in_order_with_health_checks(compose) -> None:
    services = compose["services"]
    for name in ("backend", "worker", "worker-gpu"):
        assert services[name]["depends_on"]["mongo"]["condition"] == "service_healthy"
    assert services["frontend"]["depends_on"]["backend"]["condition"] == "service_healthy"
    for name in ("mongo", "backend", "worker", "frontend"):
        assert services[name]["healthcheck"]["test"], name
    assert "/readyz" in " ".join(services["backend"]["healthcheck"]["test"])


def test_workers_can_be_scaled_and_the_gpu_worker_asks_for_a_gpu(compose) -> None:
    worker = compose["services"]["worker"]
    assert "container_name" not in worker and "ports" not in worker  # `--scale worker=3` needs both absent
    gpu = compose["services"]["worker-gpu"]
    assert gpu["profiles"] == ["gpu"]
    (device,) = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert device["capabilities"] == ["gpu"]


def test_no_secret_value_is_in_the_compose_file(compose) -> None:
    text = (REPO / "docker-compose.yml").read_text()
    env = compose["services"]["backend"]["environment"]
    assert env["HEMOSIGHT_SECRET_KEY"].startswith("${HEMOSIGHT_SECRET_KEY:?")
    assert not re.search(r"(?i)(password|passwd)\s*[:=]\s*\S", text)
    example = (REPO / "deploy/hemosight.env.example").read_text()
    assert re.search(r"^HEMOSIGHT_SECRET_KEY=$", example, re.M), "the example must not carry a secret"
    ignored = (REPO / ".dockerignore").read_text().split()
    assert ".env" in ignored and "**/secret_key" in ignored


def test_every_compose_setting_is_documented_in_the_env_example(compose) -> None:
    example = (REPO / "deploy/hemosight.env.example").read_text()
    used = set(re.findall(r"\$\{(\w+)", (REPO / "docker-compose.yml").read_text()))
    assert used, "compose should take its settings from the environment"
    assert not [name for name in used if name not in example]


def test_nginx_serves_the_app_and_proxies_the_api() -> None:
    conf = (REPO / "deploy/nginx.conf").read_text()
    assert re.search(r"location /api/ \{[^}]*proxy_pass http://hemosight_backend;", conf)
    assert "server ${HEMOSIGHT_BACKEND};" in conf
    assert "try_files $uri $uri/ /index.html;" in conf
    assert "listen 8080;" in conf  # unprivileged port: nginx runs as a non-root user


def test_nginx_replaces_a_clients_forwarded_for_which_the_backend_trusts(compose) -> None:
    # The backend trusts nginx ("*": only nginx reaches it) and uvicorn then takes the leftmost X-Forwarded-For
    # entry as the client: nginx must send the address it saw, not append to what the client sent.
    conf = (REPO / "deploy/nginx.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
    assert "$proxy_add_x_forwarded_for" not in conf
    backend = compose["services"]["backend"]
    assert backend["environment"]["HEMOSIGHT_TRUSTED_PROXIES"].endswith(":-*}") and "ports" not in backend


# --- Dockerfiles --------------------------------------------------------------------------------
def stages(path: Path) -> list[tuple[str, list[str]]]:
    """(FROM line, instructions) per build stage, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    out: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            out.append((line, []))
        elif out:
            out[-1][1].append(line)
    return out


def test_there_are_backend_cpu_worker_gpu_worker_and_frontend_images() -> None:
    names = {p.name for p in DOCKERFILES}
    assert names == {"hemosight.Dockerfile", "worker-gpu.Dockerfile", "frontend.Dockerfile"}
    assert "tensorflow[and-cuda]" in (REPO / "pyproject.toml").read_text()
    assert '".[train,gpu]"' in (REPO / "deploy/docker/worker-gpu.Dockerfile").read_text()
    # the backend and CPU worker image installs the serving set only: no TensorFlow
    assert re.search(
        r"pip install --no-compile \.\s*$", (REPO / "deploy/docker/hemosight.Dockerfile").read_text(), re.M
    )


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_is_multi_stage_pinned_and_non_root(path: Path) -> None:
    built = stages(path)
    assert len(built) >= 2, "build tools stay in a build stage"
    local = {line.split()[-1].lower() for line, _ in built if " AS " in line.upper()}
    for line, _ in built:
        image = line.split()[1]
        if image.lower() in local:
            continue
        assert re.search(r":[^:/]*\d[^:/]*$|@sha256:[0-9a-f]{64}$", image), f"{image} is not pinned to a version"
        assert not image.endswith(":latest")
    users = [i.split()[1] for i in built[-1][1] if i.upper().startswith("USER ")]
    assert users, "the final stage must switch to a non-root USER"
    assert users[-1].split(":")[0] not in ("root", "0")


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_bakes_in_no_secret(path: Path) -> None:
    for _, instructions in stages(path):
        for instruction in instructions:
            keyword = instruction.split()[0].upper()
            if keyword in ("ENV", "ARG"):
                assert not re.search(r"(?i)(secret|password|passwd|token|mongo_uri)\w*=", instruction), instruction
            if keyword in ("COPY", "ADD"):
                assert not re.search(r"(?i)(\.env\b|secret_key|id_rsa)", instruction), instruction


def _hadolint() -> str:
    """The hadolint the dev extra installed into this interpreter's environment (activated or not)."""
    hadolint = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if hadolint is None:
        pytest.skip("hadolint is installed by the dev extra on x86_64 Linux only")
    return hadolint


def test_hadolint_finds_nothing_at_warning_level() -> None:
    hadolint = _hadolint()
    done = subprocess.run(
        [hadolint, "--failure-threshold", "warning", *map(str, DOCKERFILES)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_would_catch_an_unpinned_root_image(tmp_path: Path) -> None:
    hadolint = _hadolint()
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get update && apt-get install -y curl\n")
    done = subprocess.run([hadolint, "--failure-threshold", "warning", str(bad)], capture_output=True, text=True)
    assert done.returncode != 0 and "DL3007" in done.stdout


# --- YAML ----------------------------------------------------------------------------------------
def test_yaml_files_pass_yamllint() -> None:
    from yamllint import linter
    from yamllint.config import YamlLintConfig

    config = YamlLintConfig(file=str(REPO / "deploy/yamllint.yaml"))
    files = [REPO / "docker-compose.yml", *sorted((REPO / "k8s").rglob("*.yaml"))]
    assert len(files) > 10
    problems = [
        f"{path.relative_to(REPO)}:{p.line}: {p.desc}"
        for path in files
        for p in linter.run(path.read_text(), config, str(path))
        if p.level == "error"
    ]
    assert not problems, "\n".join(problems)


def test_nginx_sends_the_security_headers_in_every_location() -> None:
    """A location with its own add_header does not inherit the server's: each must repeat them all."""
    from hemosight.api.security_headers import CONTENT_SECURITY_POLICY, HEADERS

    conf = (REPO / "deploy/nginx.conf").read_text()
    wanted = {f"add_header {name} {value} always;" for name, value in HEADERS.items()}
    wanted.add(f'add_header Content-Security-Policy "{CONTENT_SECURITY_POLICY}" always;')
    blocks = r"^\s*location [^{]*\{[^}]*\}"
    server_level = re.sub(blocks, "", conf, flags=re.M)
    scopes = [server_level, *[b for b in re.findall(blocks, conf, flags=re.M) if "add_header" in b]]
    assert len(scopes) >= 3  # the server, /assets/ and /
    for scope in scopes:
        present = {" ".join(line.split()) for line in scope.splitlines()}
        assert wanted <= present, scope
