"""Dataset-runner throughput: images/s of ``python -m cam_methods.evaluate``, locally and on Ray, and its bottleneck.

One folder of ``--images`` photos (copies of assets/, each under its own name) is evaluated, each time into a
fresh Parquet file, by: the local engine with one PyTorch thread (and with PyTorch's default, one per core,
with ``--default-threads``), Ray with 1 and 2 actors on a one-node local cluster, and Ray with 2 actors on a
two-node local cluster (one CPU per node, as two machines would be: ``ray.cluster_utils.Cluster``). Then one
image's time is split into decoding, ``explain`` (the capture and the maps) and ``score_maps`` (the metrics'
forward passes), median of a few images.
Ray is started on 127.0.0.1 only (``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` before it is imported).

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/evaluate.py [--images 6] [--steps 5] [--skip-ray] [--default-threads]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # Ray reads it at import: loopback only
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from listening import descendants, listening_addresses  # noqa: E402

from cam_methods import MetricSettings, explain, score_maps  # noqa: E402
from cam_methods.evaluate.dataset import list_samples  # noqa: E402
from cam_methods.evaluate.run import evaluate  # noqa: E402
from cam_methods.evaluate.work import RunSettings, decode, ready_backbone  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def photo_folder(count: int) -> Path:
    """A temporary folder of ``count`` photos: the assets, copied under new names until there are enough."""
    folder = Path(tempfile.mkdtemp(prefix="camstudio-evaluate-"))
    assets = sorted(p for p in (ROOT / "assets").iterdir() if p.suffix in (".png", ".jpg"))
    for number in range(count):
        source = assets[number % len(assets)]
        shutil.copy(source, folder / f"{number:04d}-{source.name}")
    return folder


def timed_run(label: str, folder: Path, settings: RunSettings, **options) -> float:
    """Seconds of one fresh run (Ray, when used, already started); prints images/s."""
    out = Path(tempfile.mkdtemp(prefix="camstudio-run-")) / "run.parquet"
    started = time.perf_counter()
    report = evaluate(folder, out, settings, fresh=True, show_progress=False, **options)
    seconds = time.perf_counter() - started
    print(
        f"| {label} | {report.evaluated} | {seconds:.1f} | {report.first_image_seconds:.1f} | "
        f"{report.evaluated / seconds:.3f} | {report.steady_images_per_second:.3f} |",
        flush=True,
    )
    return seconds


def ray_listeners() -> str:
    """The addresses on which this benchmark's child processes (Ray's) listen for TCP connections."""
    return ", ".join(sorted(set(listening_addresses(descendants(os.getpid()))))) or "(none)"


def ray_rows(folder: Path, settings: RunSettings) -> None:
    """Ray with 1 and 2 actors on one 2-CPU node, then 2 actors on two 1-CPU nodes."""
    import ray
    from ray.cluster_utils import Cluster

    started = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False)
    print(f"| (ray.init, one 2-CPU node: {time.perf_counter() - started:.0f} s) | | | | | |", flush=True)
    for actors in (1, 2):
        timed_run(f"ray, 1 node × 2 CPUs, {actors} actor(s)", folder, settings, engine="ray", actors=actors)
    print(f"| (ray, one node, listening on: {ray_listeners()}) | | | | | |")
    ray.shutdown()
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "include_dashboard": False, "node_ip_address": "127.0.0.1"},
    )
    cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1")
    ray.init(address=cluster.address, log_to_driver=False)
    try:
        timed_run("ray, 2 nodes × 1 CPU, 2 actors", folder, settings, engine="ray", actors=2)
        print(f"| (ray, two nodes, listening on: {ray_listeners()}) | | | | | |")
    finally:
        ray.shutdown()
        cluster.shutdown()


def time_split(folder: Path, settings: RunSettings, images: int = 4) -> None:
    """Median seconds per image of decoding, explain and score_maps (one thread, like one Ray actor)."""
    backbone = ready_backbone(settings)
    torch.set_num_threads(1)
    parts: dict[str, list[float]] = {"decode": [], "explain (capture + maps)": [], "score_maps (metrics)": []}
    for sample in list_samples(folder, backbone.labels, images):
        started = time.perf_counter()
        tensor, _ = decode(sample, backbone)
        decoded = time.perf_counter()
        result = explain(backbone, tensor, settings.methods)
        explained = time.perf_counter()
        score_maps(result, settings=MetricSettings(steps=settings.steps))
        scored = time.perf_counter()
        for name, seconds in zip(parts, (decoded - started, explained - decoded, scored - explained), strict=True):
            parts[name].append(seconds)
    total = sum(float(np.median(values)) for values in parts.values())
    print(f"\nOne image, median of {images}, one PyTorch thread:\n| part | seconds | share |\n|---|---|---|")
    for name, values in parts.items():
        median = float(np.median(values))
        print(f"| {name} | {median:.3f} | {median / total:.0%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=6)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--methods", nargs="+", default=["gradcam", "eigencam"])
    parser.add_argument("--skip-ray", action="store_true")
    parser.add_argument(
        "--default-threads",
        action="store_true",
        help="also run locally with PyTorch's default threads (slow on a busy machine)",
    )
    args = parser.parse_args()
    settings = RunSettings(backbone="efficientnet_lite0", methods=tuple(args.methods), steps=args.steps)
    folder = photo_folder(args.images)
    print(
        f"{args.images} images, {', '.join(args.methods)}, N = {args.steps}, efficientnet_lite0, "
        f"{os.cpu_count()} CPUs (shared with other jobs: compare rows of one run only)\n"
    )
    print("| engine | images | seconds | first image after (s) | images/s | images/s after the first |")
    print("|---|---|---|---|---|---|")
    if args.default_threads:
        timed_run("local, default threads", folder, settings, workers=1)
    timed_run("local, 1 thread", folder, settings, workers=1, threads=1)
    if not args.skip_ray:
        ray_rows(folder, settings)
    time_split(folder, settings)
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
