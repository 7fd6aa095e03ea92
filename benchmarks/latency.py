"""Upload → result latency for one image at a time, through the HTTP API of `hemosight serve`.

    python -m benchmarks.latency [--samples 40] [--model PATH]

Starts `hemosight serve` (backend + one worker process) on a free port with a fresh data
folder, uploads one image with POST /projects/{id}/images/single, and polls
GET /images/{id} every 10 ms until the result is there; repeated for every sample.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.pipeline import benchmark_bundle, distinct_images, machine, percentile, serve_session, write_result


def upload_and_wait(client: httpx.Client, project: str, name: str, data: bytes, timeout: float = 120) -> float:
    started = time.perf_counter()
    response = client.post(f"/projects/{project}/images/single", files={"file": (name, data, "image/jpeg")})
    response.raise_for_status()
    image_id = response.json()["id"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"/images/{image_id}").json()["status"]
        if status in ("done", "failed"):
            if status == "failed":
                raise RuntimeError(f"Image {name} failed.")
            return time.perf_counter() - started
        time.sleep(0.01)
    raise TimeoutError(f"No result for {name} after {timeout} s.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--model", type=Path)
    args = parser.parse_args()
    bundle = benchmark_bundle(args.model, Path(tempfile.gettempdir()))
    data_dir = Path(tempfile.mkdtemp(prefix="hemosight-latency-")) / "data"
    images = distinct_images(args.samples + 1)
    with serve_session(bundle, data_dir) as (client, _):
        project = client.post("/projects", json={"name": "latency"}).json()["id"]
        warm_up = upload_and_wait(client, project, *images[0], timeout=300)  # includes the worker loading the model
        latencies = [upload_and_wait(client, project, name, data) for name, data in images[1:]]
    lines = [
        f"Machine: {machine()}. Model: {bundle.name}. {len(latencies)} sequential single-image uploads "
        f"(first upload, {warm_up:.1f} s including model load, not counted).",
        "",
        f"- p50 **{percentile(latencies, 50) * 1000:.0f} ms**, p95 **{percentile(latencies, 95) * 1000:.0f} ms**, "
        f"max {max(latencies) * 1000:.0f} ms",
    ]
    write_result(
        "latency", "Upload → result latency, one image", ["python", "-m", "benchmarks.latency", *sys.argv[1:]], lines
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
