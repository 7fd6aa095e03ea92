"""A slide's worth of cells uploaded at once: time until every image is classified.

    python -m benchmarks.upload_batch [--images 200] [--workers 1 2 4] [--model PATH]

For each worker count: starts `hemosight serve --workers N` on the embedded default
(SQLite + local files) in a fresh folder, waits for the model to load (one warm-up
upload), then uploads the images through POST /projects/{id}/images, 10 files per
request like the browser, and polls the project's image list until every image is
done. The clock runs from the first upload request to the last result (labels,
neighbours and landscape placement all written).

Where the time goes: each worker logs, per micro-batch, the seconds spent reading and
decoding images, in each stage of the model (preprocess, embed, classify, neighbours,
landscape) and writing results; the benchmark sums those over the run. Also reports the
peak resident memory of each worker process.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

from benchmarks.pipeline import REPO, benchmark_bundle, distinct_images, machine, serve_session, write_result

UPLOAD_CHUNK = 10


def worker_peak_rss_mb(serve_pid: int) -> list[float]:
    """VmHWM of every worker child of `hemosight serve` (Linux /proc)."""
    peaks = []
    for child in Path(f"/proc/{serve_pid}/task/{serve_pid}/children").read_text().split():
        status = Path(f"/proc/{child}/status").read_text()
        peaks += [int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:")]
    return peaks


def run(workers: int, images: list[tuple[str, bytes]], bundle: Path) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"hemosight-upload-{workers}-")) / "data"
    log_path = data_dir.parent / "serve.log"
    with serve_session(bundle, data_dir, "--workers", str(workers), log=log_path, timeout=120) as (client, serve):
        warm = client.post("/projects", json={"name": "warm-up"}).json()["id"]
        upload(client, warm, images[:1])
        wait_done(client, warm, 1, timeout=600)
        offset = log_path.stat().st_size
        project = client.post("/projects", json={"name": f"slide-{workers}"}).json()["id"]
        started = time.perf_counter()
        upload(client, project, images[1:])
        uploaded = time.perf_counter() - started
        wait_done(client, project, len(images) - 1, timeout=1200)
        elapsed = time.perf_counter() - started
        rss = worker_peak_rss_mb(serve.pid)
    return {
        "workers": workers,
        "images": len(images) - 1,
        "seconds": elapsed,
        "upload_seconds": uploaded,
        "images_per_s": (len(images) - 1) / elapsed,
        "worker_peak_rss_mb": rss,
        "stage_seconds": stage_totals(log_path, offset),
    }


def upload(client: httpx.Client, project: str, images: list[tuple[str, bytes]]) -> None:
    for i in range(0, len(images), UPLOAD_CHUNK):
        files = [("files", (name, data, "image/jpeg")) for name, data in images[i : i + UPLOAD_CHUNK]]
        outcome = client.post(f"/projects/{project}/images", files=files)
        outcome.raise_for_status()
        refused = [f for f in outcome.json()["files"] if f["status"] != "accepted"]
        if refused:
            raise RuntimeError(f"Upload refused: {refused}")


def wait_done(client: httpx.Client, project: str, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statuses = [image["status"] for image in client.get(f"/projects/{project}/images").json()]
        if statuses.count("failed"):
            raise RuntimeError(f"{statuses.count('failed')} image(s) failed")
        if statuses.count("done") == count:
            return
        time.sleep(0.05)
    raise TimeoutError(f"Not every image was classified after {timeout} s.")


def stage_totals(log_path: Path, offset: int) -> dict[str, float]:
    """Sum the per-batch stage timings the workers logged after `offset`."""
    totals: dict[str, float] = defaultdict(float)
    with log_path.open("rb") as handle:
        handle.seek(offset)
        for line in handle:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            for key, seconds in record.items():
                if key.startswith("seconds_"):
                    totals[key.removeprefix("seconds_")] += seconds
    return dict(totals)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--model", type=Path)
    args = parser.parse_args()
    bundle = benchmark_bundle(args.model, Path(tempfile.gettempdir()))
    images = distinct_images(args.images + 1)
    runs = [run(n, images, bundle) for n in args.workers]
    out = REPO / "benchmarks" / "results" / "upload-batch.json"
    out.write_text(json.dumps({"machine": machine(), "model": bundle.name, "runs": runs}, indent=2))
    lines = [f"Machine: {machine()}. Model: {bundle.name}. {args.images} distinct images, 10 per request.", ""]
    lines += ["| workers | all classified | upload requests | images/s | worker peak RSS | worker time by stage |"]
    lines += ["|---|---|---|---|---|---|"]
    for r in runs:
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in sorted(r["stage_seconds"].items(), key=lambda kv: -kv[1]))
        rss = ", ".join(f"{m:.0f}" for m in r["worker_peak_rss_mb"])
        lines.append(
            f"| {r['workers']} | **{r['seconds']:.1f} s** | {r['upload_seconds']:.1f} s | {r['images_per_s']:.1f} "
            f"| {rss} MB | {stages} |"
        )
    write_result(
        "upload-batch",
        "Whole pipeline: a 200-image upload",
        ["python", "-m", "benchmarks.upload_batch", *sys.argv[1:]],
        lines,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
