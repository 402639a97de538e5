"""Speed of the slow methods on the bundled EfficientNet-Lite0 on chelsea (224×352), on this machine's CPU.

Rows: Score-CAM and Abs-CAM with their default channel cap, in their default batches (the size and execution
path the backbone's scorer measured, once, before the timings; see docs/throughput.md), one masked image per
forward pass, and batches of 32 (both on the measured path); FGVis with its defaults, with and without the filter.
The variants of a method run alternately in the same process, ``--repeats`` times each; the table prints
medians and the median of the paired per-unit ratios to the first variant (per masked image, or per FGVis
step, since the FGVis variants stop after different step counts), so a busy CPU slows all alike. Each run
is a fresh ``explain`` call (no cached scores); wall time is the method's own (``timings``), not the
shared capture pass. CPU s is the process's CPU time for the whole call; on a CPU shared with other
jobs, CPU s / threads estimates the wall time the call would take on an idle machine.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/speed_slow.py [--repeats 3] [--methods scorecam abscam fgvis]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from cam_methods import explain, fgvis_result  # noqa: E402
from cam_methods.fgvis import FGVisSettings  # noqa: E402
from cam_methods.score_cam import MaskSettings  # noqa: E402
from cam_methods.scoring import scorer_for  # noqa: E402
from model_zoo import load_backbone  # noqa: E402

IMAGE = ROOT / "assets" / "chelsea.png"
VARIANTS = {
    "scorecam": (("default batches", {}), ("one at a time", {"batch_size": 1}), ("batches of 32", {"batch_size": 32})),
    "abscam": (("default batches", {}), ("one at a time", {"batch_size": 1}), ("batches of 32", {"batch_size": 32})),
    "fgvis": (("filter on", {}), ("filter off", {"gradient_filter": False})),
}


def timed_run(method: str, options: dict) -> tuple[float, float, int]:
    """Wall seconds and CPU seconds of the method, and its units of work (masked images or FGVis steps)."""
    backbone = load_backbone("efficientnet_lite0")
    cpu_started = time.process_time()
    result = explain(backbone, IMAGE, [method], options={method: options})
    cpu = time.process_time() - cpu_started
    work = fgvis_result(result).steps if method == "fgvis" else MaskSettings(**options).max_channels
    return result.timings[method], cpu, work


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--methods", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    args = parser.parse_args()
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, load {os.getloadavg()}"
    )
    print_table(args.methods, args.repeats)


def print_table(methods: list[str], repeats: int) -> None:
    """The Markdown table of the slow methods' variants (also printed by ``benchmarks/speed.py``)."""
    print(f"defaults: {MaskSettings()}, {FGVisSettings()}")
    print("| method | variant | wall s | CPU s | work | s per unit | per unit / first variant |")
    print("|---|---|---|---|---|---|---|")
    backbone = load_backbone("efficientnet_lite0")
    shape = explain(backbone, IMAGE, ["gradcam"]).input_tensor.shape[1:]  # load and warm up
    plan = scorer_for(backbone).plan(shape)  # the scorer's one-off calibration for this input, outside the timings
    print(f"scorer plan: path {plan.path}, batch size {plan.batch_size}")
    for method in methods:
        runs = {name: [] for name, _ in VARIANTS[method]}
        for _ in range(repeats):
            for name, options in VARIANTS[method]:
                runs[name].append(timed_run(method, options))
        first = VARIANTS[method][0][0]
        for name, samples in runs.items():
            ratio = statistics.median((b[0] / b[2]) / (a[0] / a[2]) for a, b in zip(runs[first], samples, strict=True))
            wall, cpu, work = (statistics.median(sample[i] for sample in samples) for i in range(3))
            unit = "steps" if method == "fgvis" else "images"
            print(
                f"| {method} | {name} | {wall:.2f} | {cpu:.2f} | {work:.0f} {unit} | {wall / work:.3f} | {ratio:.2f} |"
            )
    print(f"load at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
