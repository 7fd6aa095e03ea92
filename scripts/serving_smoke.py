"""Checks an installed serving set (what the backend image installs) without Docker: no TensorFlow, and it works.

Run with the Python of a fresh virtual environment that installed only `pip install .` (plus httpx for this
script), from outside the checkout's import path:

    python3.11 -m venv /tmp/hs-serving && /tmp/hs-serving/bin/pip install . httpx==0.28.1
    /tmp/hs-serving/bin/python scripts/serving_smoke.py

It refuses to run where TensorFlow is installed, then starts `hemosight serve` (API and one worker) on a
temporary data dir with the shipped model, uploads five fixture images and waits until the worker, on the
bundle's OpenVINO encoder, has classified them. docs/DEPLOYMENT.md records a run.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ORIGINALS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "originals"
PASSWORD = "long enough password"


def main() -> int:
    if importlib.util.find_spec("tensorflow") is not None:
        print("TensorFlow is installed here: run this with a serving-set environment", file=sys.stderr)
        return 2
    hemosight = Path(sys.executable).parent / "hemosight"
    data = tempfile.mkdtemp(prefix="hemosight-serving-")
    subprocess.run(
        [hemosight, "create-admin", "--data-dir", data, "--username", "root", "--password-stdin"],
        input=f"{PASSWORD}\n",
        text=True,
        check=True,
    )
    port = 8765
    with open(Path(data) / "serve.log", "w") as log:
        server = subprocess.Popen(
            [hemosight, "serve", "--data-dir", data, "--port", str(port)],
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    try:
        return _check(f"http://127.0.0.1:{port}/api/v1")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


def _check(base: str) -> int:
    for _ in range(240):
        try:
            if httpx.get(f"{base}/readyz").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(1)
    print("ready:", httpx.get(f"{base}/readyz").json())
    login = httpx.post(f"{base}/auth/login", data={"username": "root", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    project = httpx.post(f"{base}/projects", json={"name": "serving smoke"}, headers=headers).json()["id"]
    files = [("files", (p.name, p.read_bytes(), "image/jpeg")) for p in sorted(ORIGINALS.glob("*.jpg"))[:5]]
    httpx.post(f"{base}/projects/{project}/images", files=files, headers=headers, timeout=60).raise_for_status()
    cells: list[dict[str, object]] = []
    for _ in range(300):
        cells = httpx.get(f"{base}/projects/{project}/images", headers=headers).json()
        if all(cell["status"] in ("done", "failed") for cell in cells):
            break
        time.sleep(1)
    for cell in cells:
        print(f"{cell['filename']}: {cell['status']}, {cell['label']}")
    tensorflow = importlib.util.find_spec("tensorflow") is not None
    print("tensorflow importable:", tensorflow)
    return 0 if cells and all(cell["status"] == "done" for cell in cells) and not tensorflow else 1


if __name__ == "__main__":
    sys.exit(main())
