"""Throughput of the forward-only work (issue #15), side by side in one run on the bundled EfficientNet-Lite0:

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/throughput.py [--rounds 3] [--threads N] [--compile]

1. The scorer's first-use cost (the paths built, ONNX export included; then the calibration) and its calibration
   table: seconds per image for each execution path and batch size it timed, and its plan.
1b. The execution paths side by side at batches 1, 8 and 32 on the same input (interleaved rounds, medians), each
   path's first call at each size (for ``--compile``, ``torch.compile``'s compile time), and Score-CAM's floor:
   its passes × the least time per image in that table.
2. The goals, interleaved round by round (medians): the 6-map faithfulness panel at N = 25 against its forward-pass
   floor (``3 + R·(2N − 1)`` passes × one batch-1 inference-mode forward, measured in the same rounds), and
   Score-CAM with its default cap (the method's own time).
3. Part 0's candidates, each against its baseline in the same rounds: BatchNorm folded vs not (batch-1 forward),
   Eigen-CAM from the Gram matrix vs a full SVD, preprocessing from a PIL image.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from PIL import Image  # noqa: E402

from cam_methods import MetricSettings, explain, score_maps  # noqa: E402
from cam_methods.gradient import first_component  # noqa: E402
from cam_methods.score_cam import DEFAULT_MAX_CHANNELS, channel_masks  # noqa: E402
from cam_methods.scoring import scorer_for  # noqa: E402
from cam_methods.scoring_paths import candidate_runners, eager_runner  # noqa: E402
from model_zoo import load_backbone  # noqa: E402
from model_zoo.bundled import efficientnet_lite0  # noqa: E402
from model_zoo.timm_models import EFFICIENTNET_LITE0, timm_backbone  # noqa: E402

SIZES = (1, 8, 32)
PANEL = ("gradcam", "hirescam", "gradcampp", "layercam", "finer-gradcam", "eigencam")
STEPS = 25


def seconds_of(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def timed(samples: dict[str, list[float]], name: str, call: Callable[[], object]) -> object:
    started = time.perf_counter()
    value = call()
    samples.setdefault(name, []).append(time.perf_counter() - started)
    return value


def calibration_table(backbone, shape: tuple[int, ...]) -> None:
    started = time.perf_counter()
    scorer_for(backbone).runners()
    built = time.perf_counter() - started
    plan = scorer_for(backbone).plan(shape)
    seconds = time.perf_counter() - started - built
    print(
        f"\nscorer first use for {backbone.display_name} at {shape}: paths built (ONNX export) {built:.1f} s, ", end=""
    )
    print(f"calibration {seconds:.1f} s")
    print("| path | batch size | ms per image |\n|---|---|---|")
    for (path, size), per_image in sorted(plan.timings.items()):
        print(f"| {path} | {size} | {per_image * 1e3:.1f} |")
    print(f"plan: {plan.path}, batch size {plan.batch_size}")


def paths_table(backbone, x: torch.Tensor, rounds: int, compile_model: bool) -> float:
    """Milliseconds per image of every path at batches 1, 8, 32 (medians of interleaved rounds), and each path's
    first call per size; returns the least seconds per image."""
    runners = dict(candidate_runners(backbone))
    if compile_model:
        compiled = torch.compile(backbone.model, dynamic=False)  # a new shape compiles again on its first call
        runners["compiled"] = eager_runner(compiled)
    batch = x.expand(max(SIZES), *x.shape[1:]).contiguous()
    first = {
        (name, n): seconds_of(lambda r=runner, n=n: r(batch[:n])) for n in SIZES for name, runner in runners.items()
    }
    samples: dict[tuple[str, int], list[float]] = {}
    for _ in range(rounds):
        for size in SIZES:
            for name, runner in runners.items():
                samples.setdefault((name, size), []).append(seconds_of(lambda r=runner, n=size: r(batch[:n])) / size)
    print(f"\nexecution paths side by side, ms per image (medians of {rounds} interleaved rounds); first call in s")
    columns = [f"batch {n}" for n in SIZES] + [f"first call, {n}" for n in SIZES]
    print("| path | " + " | ".join(columns) + " |")
    print("|---" * (1 + 2 * len(SIZES)) + "|")
    median = {key: statistics.median(values) for key, values in samples.items()}
    for name in runners:
        per_image = " | ".join(f"{median[(name, n)] * 1e3:.1f}" for n in SIZES)
        print(f"| {name} | {per_image} | " + " | ".join(f"{first[(name, n)]:.2f}" for n in SIZES) + " |")
    return min(median.values())


def scorecam_split(backbone, x: torch.Tensor, rounds: int, best: float) -> None:
    """Score-CAM's own time, the part of it spent in the planned path's forward passes (timed inside the run) and
    building its masked images alone (interleaved rounds, medians), against its floor: passes × ``best``."""
    plan = scorer_for(backbone).plan(tuple(x.shape[1:]))
    runners = scorer_for(backbone).runners()
    planned = runners[plan.path]
    samples: dict[str, list[float]] = {"one forward": [], "method": [], "forwards": []}

    def counted(batch: torch.Tensor) -> torch.Tensor:
        return timed(samples, "one forward", lambda: planned(batch))

    evidence = explain(backbone, x, ["gradcam"]).evidence
    channels = torch.arange(DEFAULT_MAX_CHANNELS)
    runners[plan.path] = counted
    for _ in range(rounds):
        before = sum(samples["one forward"])
        samples["method"].append(explain(backbone, x, ["scorecam"]).timings["scorecam"])
        samples["forwards"].append(sum(samples["one forward"]) - before)
        build = lambda: x * channel_masks(evidence.activations[channels], tuple(x.shape[-2:]))[0][:, None]  # noqa: E731
        timed(samples, "masks", build)
    runners[plan.path] = planned
    took, masks = statistics.median(samples["method"]), statistics.median(samples["masks"])
    forwards, passes = statistics.median(samples["forwards"]), DEFAULT_MAX_CHANNELS
    print(f"\nScore-CAM, default cap ({passes} passes): took {took:.2f} s (goal ≤ 1 s); ", end="")
    print(f"forwards on {plan.path} at batch {plan.batch_size}: {forwards:.2f} s ", end="")
    print(f"({forwards / passes * 1e3:.1f} ms per image); ", end="")
    print(f"building the {passes} masked images alone: {masks * 1e3:.0f} ms")
    print(f"floor: {passes} × {best * 1e3:.1f} ms (the best path and batch above) = {passes * best:.2f} s; ", end="")
    print(f"1 s needs ≤ {1e3 / passes:.1f} ms per image, {passes * best:.1f}× less than the best measured")


def svd_component(M: torch.Tensor) -> torch.Tensor:
    _, _, vh = torch.linalg.svd(M, full_matrices=False)
    return M @ vh[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--compile", action="store_true", help="add torch.compile to the paths (minutes per size)")
    parser.add_argument("--paths-only", action="store_true", help="only the scorer, the paths and Score-CAM")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load {os.getloadavg()}")
    backbone = load_backbone("efficientnet_lite0")
    spec = EFFICIENTNET_LITE0
    unfolded = timm_backbone(spec.arch, spec.display_name, "cnn", efficientnet_lite0(), spec.layers, cam_layer="bn2")
    picture = Image.open(ROOT / "assets" / "chelsea.png")
    x, _ = backbone.prepare(picture)
    calibration_table(backbone, tuple(x.shape[1:]))
    best = paths_table(backbone, x, args.rounds, args.compile)
    if args.paths_only:
        return scorecam_split(backbone, x, args.rounds, best)
    A = explain(backbone, x, ["gradcam"]).evidence.activations
    centred = A.flatten(1).T - A.flatten(1).T.mean(dim=0, keepdim=True)
    samples: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        with torch.inference_mode():
            for _ in range(5):
                timed(samples, "forward, batch 1 (folded)", lambda: backbone.model(x))
                timed(samples, "forward, batch 1 (unfolded)", lambda: unfolded.model(x))
        fresh = explain(backbone, x, PANEL)
        panel_name = f"6-map panel, N = {STEPS}"
        scores = timed(samples, panel_name, lambda e=fresh: score_maps(e, settings=MetricSettings(STEPS)))
        scorecam = explain(backbone, x, ["scorecam"])
        samples.setdefault("Score-CAM, default cap", []).append(scorecam.timings["scorecam"])
        for _ in range(5):
            timed(samples, "Eigen-CAM SVD", lambda: svd_component(centred))
            timed(samples, "Eigen-CAM Gram eigh", lambda: first_component(centred))
            timed(samples, "preprocess from PIL", lambda: backbone.prepare(picture))
    median = {name: statistics.median(values) for name, values in samples.items()}
    forward = median["forward, batch 1 (folded)"]
    print(f"\nmedians of {args.rounds} interleaved rounds (load at the end {os.getloadavg()})")
    print("| what | ms | ratio |\n|---|---|---|")
    for name, seconds in median.items():
        print(f"| {name} | {seconds * 1e3:.1f} | {seconds / forward:.2f}× forward |")
    distinct = len({id(faithfulness) for faithfulness in scores.values()})  # equal maps share one result
    passes = 3 + distinct * (2 * STEPS - 1)
    panel = median[panel_name]
    floor = passes * forward
    print(f"\nfaithfulness panel: {distinct} distinct maps, {passes} passes, floor {floor:.2f} s, took {panel:.2f} s")
    print(f"panel / floor = {panel / floor:.2f}× (goal ≤ 1.5×)")
    print(f"Score-CAM default cap: {median['Score-CAM, default cap']:.2f} s (goal ≤ 1 s)")
    scorecam_split(backbone, x, args.rounds, best)
    unfolded_ratio = median["forward, batch 1 (unfolded)"] / forward
    svd_ratio = median["Eigen-CAM SVD"] / median["Eigen-CAM Gram eigh"]
    print(f"BatchNorm folding: unfolded / folded forward {unfolded_ratio:.2f}×; Eigen-CAM SVD / Gram {svd_ratio:.1f}×")


if __name__ == "__main__":
    main()
