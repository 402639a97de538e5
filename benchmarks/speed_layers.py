"""The across-layers sweep against one plain forward pass, on the bundled EfficientNet-Lite0 at 224 px.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/speed_layers.py [--rounds 5]

(``benchmarks/speed.py`` prints the same section after its own table.) Measured side by side, interleaved,
medians over the rounds:
- ``forward``: one plain forward pass under ``torch.inference_mode()``;
- ``sweep``: ``explain(..., layers="all")`` with 5 gradient-family methods at every stage, from one capture;
- ``per-layer``: the same maps the plain way, one ``explain(..., layer=l)`` call per stage.
Goal: sweep ≤ 3× forward.
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
from PIL import Image  # noqa: E402

from cam_methods import explain  # noqa: E402
from model_zoo import load_backbone  # noqa: E402

SWEEP_METHODS = ["gradcam", "hirescam", "gradcampp", "xgradcam", "layercam"]
GOAL = 3.0


def sweep_table(rounds: int) -> None:
    """Print the forward / sweep / per-layer medians and the sweep's ratio to the goal."""
    backbone = load_backbone("efficientnet_lite0")
    x = backbone.prepare(Image.open(ROOT / "assets" / "chelsea.png"))[0]

    def forward() -> None:
        with torch.inference_mode():
            backbone.model(x)

    jobs = {
        "forward": forward,
        "sweep": lambda: explain(backbone, x, SWEEP_METHODS, layers="all"),
        "per-layer": lambda: [explain(backbone, x, SWEEP_METHODS, layer=layer) for layer in backbone.layers],
    }
    samples: dict[str, list[float]] = {name: [] for name in jobs}
    for job in jobs.values():  # warm-up
        job()
    for _ in range(rounds):  # interleaved, so load changes hit every column alike
        for name, job in jobs.items():
            started = time.perf_counter()
            job()
            samples[name].append(time.perf_counter() - started)
    t = {name: statistics.median(values) for name, values in samples.items()}
    stages = len(backbone.layers)
    print(
        f"\nacross layers on EfficientNet-Lite0, 224 px: {len(SWEEP_METHODS)} methods × {stages} stages, medians in ms"
    )
    print(f"{'forward':>11} {'sweep':>11} {'per-layer':>11} {'sweep/fwd':>11} {'speed-up':>11}")
    ratio = t["sweep"] / t["forward"]
    print(
        f"{t['forward'] * 1e3:11.1f} {t['sweep'] * 1e3:11.1f} {t['per-layer'] * 1e3:11.1f} "
        f"{ratio:10.2f}x {t['per-layer'] / t['sweep']:10.1f}x"
    )
    print(f"goal: sweep ≤ {GOAL:g}× forward: {'met' if ratio <= GOAL else 'NOT met'} ({', '.join(SWEEP_METHODS)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.rounds} rounds")
    sweep_table(args.rounds)


if __name__ == "__main__":
    main()
