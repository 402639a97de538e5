"""What scoring a 6-map panel costs against the explanation itself (``benchmarks/faithfulness.py --panel-cost``).

HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/faithfulness.py --panel-cost 12 25 50 --rounds 2
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from cam_methods import MetricSettings, explain, load_image, score_maps
from model_zoo import Backbone

ROOT = Path(__file__).resolve().parents[1]
PANEL = ("gradcam", "hirescam", "gradcampp", "layercam", "finer-gradcam", "eigencam")


def panel_cost(backbone: Backbone, step_options: list[int], rounds: int) -> None:
    """Median seconds of one forward pass, ``explain`` of a 6-map panel, and its ``score_maps`` at each N,
    interleaved round by round on chelsea (a fresh Explanation each time, so nothing is cached)."""
    x, _ = backbone.preprocess(load_image(ROOT / "assets" / "chelsea.png"))
    timings: dict[str, list[float]] = {}

    def timed(name: str, call: Callable[[], object]) -> object:
        started = time.perf_counter()
        value = call()
        timings.setdefault(name, []).append(time.perf_counter() - started)
        return value

    for _ in range(rounds):
        with torch.inference_mode():
            timed("forward", lambda: backbone.model(x))
        timed("explain (6 maps)", lambda: explain(backbone, x, PANEL))
        for steps in step_options:
            result = explain(backbone, x, PANEL)
            timed(f"score_maps, N={steps}", lambda r=result, n=steps: score_maps(r, settings=MetricSettings(n)))
    base = float(np.median(timings["explain (6 maps)"]))
    print(f"\n6-map panel {', '.join(PANEL)} on {backbone.display_name}, median of {rounds} interleaved rounds")
    for name, values in timings.items():
        median = float(np.median(values))
        print(f"{name:>22}: {median:7.2f} s  ({median / base:6.1f}× explain)")
