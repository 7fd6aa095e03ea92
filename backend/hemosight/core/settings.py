"""All configuration of the backend and worker in one place (environment prefix HEMOSIGHT_).

Everything has a default that works on a laptop: the embedded store under ~/.hemosight and
a token secret generated on first start. Operators override with environment variables
(``HEMOSIGHT_MONGO_URI``, ``HEMOSIGHT_SECRET_KEY``, ...) or the `hemosight serve` options.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from hemosight.ml.cli import DEFAULT_BUNDLE

REPO_ROOT = Path(__file__).resolve().parents[3]
#: The folders the `hemosight` namespace is spread over (each holds a `hemosight/` portion).
SOURCE_ROOTS = tuple(REPO_ROOT / home for home in (".", "models", "backend", "worker"))


#: The embedded store's folder when neither HEMOSIGHT_DATA_DIR nor --data-dir says otherwise.
DEFAULT_DATA_DIR = Path("~/.hemosight")
#: Where a process keeps model bundles downloaded from the store (below the data folder).
MODEL_CACHE = "model-cache"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HEMOSIGHT_", extra="ignore")

    data_dir: Path = DEFAULT_DATA_DIR
    #: MongoDB replica-set URI; empty means the embedded store (SQLite + image folder in `data_dir`).
    mongo_uri: str | None = None
    mongo_database: str = "hemosight"

    #: Signs bearer tokens. Generated and kept in `data_dir/secret_key` when not given; never commit it.
    secret_key: str | None = None
    token_expire_minutes: int = 12 * 60
    #: Wrong passwords allowed per account and client address within the window before sign-in pauses.
    sign_in_max_failures: int = 5
    sign_in_window_minutes: float = 15.0
    #: Comma-separated addresses of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (e.g. the
    #: nginx container's address, or "*" when only the proxy can reach the backend). Empty: no proxy is trusted and
    #: the client address is the connection's peer, so a client cannot pick its own address for the sign-in throttle.
    trusted_proxies: str = ""

    #: Swagger UI at /api/v1/docs (loads pinned Swagger UI files from a CDN, under a looser CSP on that page only).
    #: Off by default; the OpenAPI description itself is always at /api/v1/openapi.json.
    api_docs: bool = False

    max_upload_bytes: int = 20 * 1024 * 1024
    max_files_per_request: int = 500
    max_request_bytes: int = 1024 * 1024 * 1024
    #: A WBC crop is ~360x363; anything far larger is a whole slide or a decompression bomb.
    max_image_pixels: int = 25_000_000

    #: The shipped model: `serve` registers it and activates it when no other model is active.
    default_model: Path = DEFAULT_BUNDLE
    frontend_dist: Path = REPO_ROOT / "frontend" / "dist"

    job_max_attempts: int = 3
    lease_seconds: float = 30.0
    batch_size: int = 32
    neighbours_k: int = 10
    #: The encoder runtime a worker uses: "tensorflow", or an OpenVINO variant of the bundle ("fp32", "bf16",
    #: "int8"); empty means the bundle's default. A variant the bundle lacks falls back to TensorFlow.
    encoder_backend: str | None = None
    #: CPU threads TensorFlow may use when training (`hemosight train`); empty means all cores.
    threads: int | None = None

    #: "text" for people at a terminal, "json" (one object per line) for log collectors; containers use json.
    log_format: str = "text"
    log_level: str = "INFO"
    #: A worker serves Prometheus metrics and /healthz on this port (0: off); the backend serves /metrics itself.
    metrics_port: int = 0

    def uvicorn_proxy_options(self) -> dict[str, object]:
        """uvicorn's proxy-header handling, following `trusted_proxies` (uvicorn alone trusts 127.0.0.1)."""
        trusted = ",".join(a.strip() for a in self.trusted_proxies.split(",") if a.strip())
        if not trusted:
            return {"proxy_headers": False, "forwarded_allow_ips": ""}
        return {"proxy_headers": True, "forwarded_allow_ips": trusted}

    @property
    def model_cache_dir(self) -> Path:
        """Where bundles kept in MongoDB (GridFS) are downloaded to before loading."""
        return self.resolved_data_dir / MODEL_CACHE

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser()

    def token_secret(self) -> str:
        """The configured secret, else one generated once and stored (mode 600) in the data directory."""
        if self.secret_key:
            return self.secret_key
        path = self.resolved_data_dir / "secret_key"
        if path.is_file():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48)
        # Write a private temporary file, then link it into place: if the worker process races us,
        # exactly one secret wins and both processes read the same one.
        tmp = path.with_name(f".secret_key.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secret)
        try:
            os.link(tmp, path)
        except FileExistsError:
            secret = path.read_text().strip()
        finally:
            tmp.unlink()
        self.secret_key = secret
        return secret


def settings_with(**overrides: object) -> Settings:
    """Settings from the environment, with the command-line options that were given (None = not given)."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
