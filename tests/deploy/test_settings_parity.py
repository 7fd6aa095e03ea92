"""Every setting is listed once in deploy/hemosight.env.example, and read only by the settings class."""

from __future__ import annotations

import re
from pathlib import Path

from hemosight.core.settings import Settings

REPO = Path(__file__).resolve().parents[2]
#: Variables of docker-compose.yml that HemoSight itself never reads (image tags, published ports).
COMPOSE_ONLY = {"HTTP_PORT", "GPU_BATCH_SIZE", "IMAGE", "GPU_IMAGE", "FRONTEND_IMAGE"}


def example_names() -> set[str]:
    text = (REPO / "deploy/hemosight.env.example").read_text()
    return set(re.findall(r"^#?HEMOSIGHT_(\w+)=", text, re.M))


def test_every_setting_is_in_the_env_example_and_nothing_else() -> None:
    settings = {name.upper() for name in Settings.model_fields}
    listed = example_names()
    assert sorted(settings - listed) == [], "settings missing from deploy/hemosight.env.example"
    assert sorted(listed - settings - COMPOSE_ONLY) == [], "the env example lists variables nothing reads"
    compose = (REPO / "docker-compose.yml").read_text()
    assert all(f"HEMOSIGHT_{name}" in compose for name in COMPOSE_ONLY)


def test_no_service_code_reads_the_environment_past_the_settings_class() -> None:
    readers = []
    for path in [*REPO.glob("models/**/*.py"), *REPO.glob("backend/**/*.py"), *REPO.glob("worker/**/*.py")]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"os\.environ\b(?!\))|os\.getenv\(", line) and "dict(os.environ)" not in line:
                readers.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert readers == []
