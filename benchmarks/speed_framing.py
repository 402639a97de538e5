"""What the whole-picture framing costs against the 224-px centre crop, measured side by side in one run.

    python benchmarks/speed_framing.py [--rounds 5] [--threads N]

For EfficientNet-Lite0 (bundled) and ViT-B/16 (timm, random weights) on ``chelsea.png`` (451×300): one plain
forward pass and the panel of speed.py (the 8 gradient-family ids + ``finer-gradcam`` from one capture), once
on the centre crop (224×224, the "crop" framing) and once on the whole picture (the backbone's own "whole"
framing), interleaved; medians in ms. ``GFLOP``: the forward pass's multiply-adds ×2 as
``torch.utils.flop_counter`` counts them (convolutions and matrix products), which no load on the machine changes.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import torch  # noqa: E402
from PIL import Image  # noqa: E402
from timing_options import timing_arguments  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from cam_methods import SHARED_PASS_METHODS, applicable_methods, explain  # noqa: E402
from model_zoo import Backbone, load_backbone  # noqa: E402

PANEL = [*SHARED_PASS_METHODS, "finer-gradcam"]


def inputs(backbone: Backbone, picture: Image.Image) -> dict[str, torch.Tensor]:
    """The crop-framed and the whole-framed input tensors of ``picture``."""
    crop = dataclasses.replace(backbone.preprocess, framing="crop", stride=1)
    return {"crop": crop(picture)[0], "whole": backbone.prepare(picture)[0]}


def forward_gflop(backbone: Backbone, x: torch.Tensor) -> float:
    """The forward pass's floating-point operations (convolutions and matrix products), in GFLOP."""
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        backbone.model(x)
    return counter.get_total_flops() / 1e9


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def measure(backbone: Backbone, picture: Image.Image, rounds: int) -> dict[str, tuple[str, float, float, float]]:
    """{framing: (input H×W, forward GFLOP, forward ms, panel ms)}: times are medians of ``rounds`` interleaved
    rounds after a warm-up."""
    methods = [method for method in PANEL if method in applicable_methods(backbone)]
    tensors = inputs(backbone, picture)

    def forward(x: torch.Tensor) -> None:
        with torch.inference_mode():
            backbone.model(x)

    samples = {(framing, part): [] for framing in tensors for part in ("forward", "panel")}
    for round_number in range(rounds + 1):  # round 0 warms up; the rest are interleaved
        for framing, x in tensors.items():
            for part, fn in (("forward", lambda x=x: forward(x)), ("panel", lambda x=x: explain(backbone, x, methods))):
                seconds = timed(fn)
                if round_number:
                    samples[framing, part].append(seconds)
    return {
        framing: (
            "×".join(map(str, x.shape[-2:])),
            forward_gflop(backbone, x),
            statistics.median(samples[framing, "forward"]) * 1e3,
            statistics.median(samples[framing, "panel"]) * 1e3,
        )
        for framing, x in tensors.items()
    }


def main() -> None:
    args = timing_arguments(__doc__.split("\n")[0])
    picture = Image.open(ROOT / "assets" / "chelsea.png").convert("RGB")
    torch.manual_seed(0)
    backbones = {"EfficientNet-Lite0": load_backbone("efficientnet_lite0")}
    backbones["ViT-B/16 (random)"] = load_backbone("vit_base_patch16_224", random_weights=True)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.rounds} rounds, medians in ms")
    columns = ("input", "GFLOP", "forward", "panel", "panel/fwd", "fwd vs crop")
    print(f"{'model':<20} {'framing':<8} " + " ".join(f"{name:>11}" for name in columns))
    for label, backbone in backbones.items():
        rows = measure(backbone, picture, args.rounds)
        for framing, (size, gflop, forward, panel) in rows.items():
            print(
                f"{label:<20} {framing:<8} {size:>11} {gflop:11.2f} {forward:11.1f} {panel:11.1f} "
                f"{panel / forward:10.2f}x {forward / rows['crop'][2]:10.2f}x"
            )


if __name__ == "__main__":
    main()
