"""Encoder inference: Keras against the OpenVINO runtime (fp32, bf16, int8), speed and held-out accuracy.

    python -m benchmarks.bench_runtime [--model BUNDLE] [--single 200] [--batched 1024] [--batch 32]

One command measures, in the same run and on the same prepared held-out images:
- ``keras_predict``: plain Keras ``model.predict`` one image at a time (the issue's baseline) and
  batched (``model.predict`` on batches of ``--batch``);
- ``tf_function``: the bundle's TensorFlow path (one compiled graph function), single and batched;
- ``openvino_fp32``/``openvino_bf16``/``openvino_int8``: `models.runtime.RuntimeEncoder`, single and batched;
and for each: images/s, latency p50/p95, the resident memory of a worker-like process (bundle loaded, one
micro-batch analysed; and the peak once the held-out images are loaded too), and cell-type macro F1 on the held-out
split with the bundle's own classifier. Each backend runs in its own subprocess (so RSS is its own, and the
runtime workers never import TensorFlow). If BUNDLE has no runtime members they are exported first, into a
temporary copy, calibrating int8 on ``--calibration-size`` training-split images.

Held-out data: the PBC labels (``$HEMOSIGHT_PBC_DIR``, benchmarks/datasets.py), the split in
runs/default/split.json and the prepared-image cache in .cache (made by scripts/train_default.py).
Writes benchmarks/results/runtime.json (the last run; history in git) and prints a Markdown summary
for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.datasets import DEFAULT_BUNDLE, PBC_DIR

ROOT = Path(__file__).resolve().parents[1]
DATA = PBC_DIR
SPLIT = ROOT / "runs" / "default" / "split.json"
BACKENDS = ("keras_predict", "tf_function", "openvino_fp32", "openvino_bf16", "openvino_int8")


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1000
    return {"p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95))}


def held_out(bundle: Any, part: str = "test") -> tuple[np.ndarray, np.ndarray]:
    """Prepared images of the split's `part` ('test': held-out, 'train') and their cell-type labels."""
    from hemosight.ml.data import load_images, read_label_table

    table = read_label_table(DATA / "labels.csv")
    split = json.loads(SPLIT.read_text())
    images = load_images(table.paths, bundle.preprocessing, cache_dir=ROOT / ".cache")
    rows = np.asarray(split[part], np.int64)
    return np.asarray(images[rows]), np.asarray(table.label_sets[bundle.default_label_set])[rows]


def rss_mb() -> float:
    """Current resident set size of this process."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def time_calls(call: Any, images: np.ndarray, single: int, batched: int, batch: int) -> dict[str, Any]:
    """Warm up, then `single` one-image calls and `batched` images in batches of `batch`."""
    call(images[:1])
    call(images[:batch])
    singles = []
    for i in range(single):
        x = images[i % len(images)][None]
        tick = time.perf_counter()
        call(x)
        singles.append(time.perf_counter() - tick)
    batches = []
    pool = images[:batched]
    for i in range(0, len(pool), batch):
        x = pool[i : i + batch]
        tick = time.perf_counter()
        call(x)
        batches.append(time.perf_counter() - tick)
    return {
        "single": {"images_per_s": single / sum(singles), **percentiles(singles)},
        "batched": {"batch": batch, "images_per_s": len(pool) / sum(batches), **percentiles(batches)},
    }


def encoder_flops(model: Any) -> float:
    """Multiply–adds × 2 of the convolutions and dense layers for one image (the rest is < 1 %)."""
    import keras

    total = 0.0

    def walk(layer: Any) -> None:
        nonlocal total
        if isinstance(layer, keras.Model):
            for inner in layer.layers:
                walk(inner)
            return
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            _, h, w, c = layer.output.shape
            kh, kw = layer.kernel_size
            total += 2.0 * h * w * c * kh * kw
        elif isinstance(layer, keras.layers.Conv2D):
            _, h, w, cout = layer.output.shape
            cin = layer.input.shape[-1]
            kh, kw = layer.kernel_size
            total += 2.0 * h * w * cout * cin * kh * kw / layer.groups
        elif isinstance(layer, keras.layers.Dense):
            total += 2.0 * layer.input.shape[-1] * layer.units

    walk(model)
    return total


def worker(args: argparse.Namespace) -> dict[str, Any]:
    """Measure one backend in this process (run by the parent, one subprocess per backend)."""
    from hemosight.ml.bundle import ModelBundle

    bundle = ModelBundle.load(args.model)
    result: dict[str, Any] = {"backend": args.worker}
    bundle.encoder_backend = (
        "tensorflow" if args.worker in ("keras_predict", "tf_function") else args.worker.removeprefix("openvino_")
    )
    # What a worker holds: the bundle, its encoder, and one analysed micro-batch (classifiers, neighbours, landscape).
    size = bundle.preprocessing.input_size
    sample = np.random.default_rng(0).integers(0, 256, (args.batch, size, size, 3), dtype=np.uint8)
    bundle.analyse_embeddings(bundle.embed_prepared(sample), landscape=True)
    result["rss_worker_mb"] = rss_mb()
    images, labels = held_out(bundle)
    if args.worker in ("keras_predict", "tf_function"):
        infer = bundle._encoder()
        model = bundle._model
        if args.worker == "keras_predict":
            result.update(
                time_calls(
                    lambda x: model.predict(np.asarray(x, np.float32), verbose=0, batch_size=args.batch),
                    images,
                    args.single,
                    args.batched,
                    args.batch,
                )
            )
            result["encoder_flops_per_image"] = encoder_flops(model)
        else:
            result.update(
                time_calls(lambda x: infer(np.asarray(x, np.float32)), images, args.single, args.batched, args.batch)
            )
    else:
        encoder = bundle._runtime_encoder()
        assert encoder is not None, f"{args.model} cannot run {args.worker}"
        result.update(
            time_calls(lambda x: encoder(np.asarray(x, np.float32)), images, args.single, args.batched, args.batch)
        )
    tick = time.perf_counter()
    embeddings = bundle.embed_prepared(images, batch_size=args.batch)
    result["held_out_embed_s"] = time.perf_counter() - tick
    predicted = bundle.classifiers[bundle.default_label_set].predict(embeddings)
    from sklearn.metrics import f1_score

    result["held_out_cells"] = len(labels)
    result["held_out_macro_f1"] = float(f1_score(labels, predicted, average="macro"))
    np.save(Path(args.embeddings_dir) / f"{args.worker}.npy", embeddings)
    result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["imports_tensorflow"] = "tensorflow" in sys.modules
    return result


def ensure_runtime(args: argparse.Namespace, tmp: Path) -> tuple[Path, dict[str, Any]]:
    """The bundle itself if it carries the runtime IRs, else a temporary copy with them exported."""
    from hemosight.ml.bundle import ModelBundle
    from hemosight.ml.runtime import export_runtime

    bundle = ModelBundle.load(args.model)
    if bundle.runtime_members and {"fp32", "int8"} <= set(bundle.runtime.get("variants", [])):
        return args.model, {"exported": False}
    train, _ = held_out(bundle, "train")
    rng = np.random.default_rng(0)
    rows = np.sort(rng.choice(len(train), args.calibration_size, replace=False))
    tick = time.perf_counter()
    export_runtime(bundle, train[rows], ("fp32", "int8"))
    seconds = time.perf_counter() - tick
    path = bundle.save(tmp / "runtime.hsb")
    return path, {"exported": True, "export_s": seconds, "calibration_images": args.calibration_size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=DEFAULT_BUNDLE)
    parser.add_argument("--single", type=int, default=200, help="one-image calls per backend")
    parser.add_argument("--batched", type=int, default=1024, help="images per backend in batches")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--calibration-size", type=int, default=300)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--out", type=Path, help="JSON file (default: benchmarks/results/runtime.json)")
    parser.add_argument("--worker", choices=BACKENDS, help=argparse.SUPPRESS)
    parser.add_argument("--embeddings-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        print(json.dumps(worker(args)))
        return

    started = datetime.now(UTC)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        model, export = ensure_runtime(args, Path(tmp))
        results: dict[str, dict[str, Any]] = {}
        for backend in args.backends.split(","):
            command = [sys.executable, "-m", "benchmarks.bench_runtime", "--worker", backend, "--model", str(model)]
            command += ["--single", str(args.single), "--batched", str(args.batched), "--batch", str(args.batch)]
            command += ["--embeddings-dir", tmp]
            print(f"… {backend} (load average {os.getloadavg()[0]:.1f})", file=sys.stderr, flush=True)
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
            if done.returncode != 0:
                results[backend] = {"error": done.stderr[-2000:]}
                continue
            results[backend] = json.loads(done.stdout.strip().splitlines()[-1])
            results[backend]["load_average_after"] = os.getloadavg()[0]
        reference = Path(tmp) / "tf_function.npy"
        if reference.exists():
            from hemosight.ml.runtime import cosine_summary

            keras_embeddings = np.load(reference)
            for backend in results:
                path = Path(tmp) / f"{backend}.npy"
                if path.exists() and "error" not in results[backend]:
                    results[backend]["cosine_vs_keras"] = cosine_summary(keras_embeddings, np.load(path))

    report = summarise(args, model, export, results, started, load_before)
    out = args.out or ROOT / "benchmarks" / "results" / "runtime.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(markdown(report, out))


def summarise(
    args: argparse.Namespace,
    model: Path,
    export: dict[str, Any],
    results: dict[str, Any],
    started: datetime,
    load_before: tuple[float, float, float],
) -> dict[str, Any]:
    from hemosight.ml.bundle import read_manifest

    manifest = read_manifest(args.model)
    baseline = results.get("keras_predict", {}).get("single", {}).get("images_per_s")
    flops = results.get("keras_predict", {}).get("encoder_flops_per_image")
    cores = os.cpu_count() or 1
    mhz = cpu_mhz()
    # Zen 4 runs AVX-512 as two 256-bit FMA pipes: 16 fp32 FMAs = 32 FLOP per cycle and core;
    # VNNI (vpdpbusd) does 4 int8 multiply–adds per 32-bit lane, so int8 peak is 4× that.
    peak_fp32 = cores * mhz * 1e6 * 32
    for result in results.values():
        for mode in ("single", "batched"):
            if mode in result:
                rate = result[mode]["images_per_s"]
                if baseline:
                    result[mode]["speedup_vs_keras_predict_single"] = rate / baseline
                if flops:
                    result[mode]["gflop_per_s"] = rate * flops / 1e9
                    result[mode]["fraction_of_fp32_peak"] = rate * flops / peak_fp32
    return {
        "started": started.isoformat(timespec="seconds"),
        "command": "python -m benchmarks.bench_runtime " + " ".join(sys.argv[1:]),
        "model": str(args.model),
        "model_version": manifest["version"],
        "input_size": manifest["preprocessing"]["input_size"],
        "runtime_bundle": export,
        "machine": {
            "cpus": cores,
            "processor": platform.processor() or platform.machine(),
            "mhz": mhz,
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
            "peak_fp32_gflop_per_s": peak_fp32 / 1e9,
            "peak_int8_gop_per_s": 4 * peak_fp32 / 1e9,
        },
        "encoder_gflop_per_image": flops / 1e9 if flops else None,
        "settings": {"single": args.single, "batched": args.batched, "batch": args.batch},
        "results": results,
    }


def cpu_mhz() -> float:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        values = [float(line.split(":")[1]) for line in lines if line.startswith("cpu MHz")]
        return max(values)
    except (OSError, ValueError):
        return float("nan")


def markdown(report: dict[str, Any], out: Path) -> str:
    lines = [
        f"Command: `{report['command'].strip()}` → `{out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}`",
        f"Model {report['model_version']} at {report['input_size']} px; load average "
        f"{report['machine']['load_average_before'][0]:.1f} before, {report['machine']['load_average_after'][0]:.1f}"
        f" after; {report['machine']['cpus']} CPUs at {report['machine']['mhz']:.0f} MHz.",
        "",
        "| backend | single img/s | p50 / p95 ms | batched img/s | × baseline (single / batched) "
        "| held-out macro F1 | cosine vs Keras (min / mean) | worker RSS MB (peak with data) | TF imported |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in report["results"].items():
        if "error" in r:
            lines.append(f"| {name} | failed: {r['error'].splitlines()[-1] if r['error'] else '?'} |")
            continue
        cos = r.get("cosine_vs_keras", {})
        lines.append(
            f"| {name} | {r['single']['images_per_s']:.1f} | {r['single']['p50_ms']:.1f} / {r['single']['p95_ms']:.1f}"
            f" | {r['batched']['images_per_s']:.1f}"
            f" | {r['single'].get('speedup_vs_keras_predict_single', float('nan')):.1f}× / "
            f"{r['batched'].get('speedup_vs_keras_predict_single', float('nan')):.1f}×"
            f" | {r['held_out_macro_f1']:.4f} | {cos.get('cosine_min', float('nan')):.4f} / "
            f"{cos.get('cosine_mean', float('nan')):.5f} | {r['rss_worker_mb']:.0f} ({r['max_rss_mb']:.0f})"
            f" | {r['imports_tensorflow']} |"
        )
    flops = report.get("encoder_gflop_per_image")
    if flops:
        best = max(
            (r[m]["images_per_s"], n, m)
            for n, r in report["results"].items()
            if "error" not in r
            for m in ("single", "batched")
        )
        peak = report["machine"]["peak_fp32_gflop_per_s"]
        lines += [
            "",
            f"Encoder: {flops:.3f} GFLOP per image (2 × multiply–adds of convolutions and dense layers). "
            f"Peak: {peak:.0f} GFLOP/s fp32, {report['machine']['peak_int8_gop_per_s']:.0f} GOP/s int8 (VNNI). "
            f"Best: {best[1]} {best[2]} {best[0]:.0f} images/s = {best[0] * flops:.0f} GFLOP/s "
            f"= {100 * best[0] * flops / peak:.0f} % of fp32 peak, "
            f"{100 * best[0] * flops / (4 * peak):.0f} % of int8 peak.",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
