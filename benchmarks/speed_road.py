"""Seconds of ``score_maps`` and of its ROAD part on chelsea with the bundled efficientnet_lite0 (Grad-CAM,
Layer-CAM and their Finer variants, plus the baseline maps), and ROAD's scores to compare across versions.

Run: ``HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/speed_road.py [out.npy]``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from cam_methods import explain, map_scores, score_maps  # noqa: E402
from model_zoo import load_backbone  # noqa: E402

METHODS = ["gradcam", "layercam", "finer-gradcam", "finer-layercam"]


def main() -> None:
    backbone = load_backbone("efficientnet_lite0")
    explanation = explain(backbone, ROOT / "assets" / "chelsea.png", METHODS)
    road_seconds = []
    timed_road = map_scores.road_scores

    def road_scores(*args, **kwargs):
        start = time.perf_counter()
        result = timed_road(*args, **kwargs)
        road_seconds.append(time.perf_counter() - start)
        return result

    map_scores.road_scores = road_scores
    start = time.perf_counter()
    scores = score_maps(explanation)
    total = time.perf_counter() - start
    print(f"score_maps {total:.1f} s, of which road_scores {sum(road_seconds):.1f} s")
    curves = np.array([np.concatenate([s.road.morf, s.road.lerf]) for s in scores.values()])
    for name, row in zip(scores, curves, strict=True):
        print(f"{name:16s} " + " ".join(f"{v:.5f}" for v in row))
    if len(sys.argv) > 1:
        np.save(sys.argv[1], curves)


if __name__ == "__main__":
    main()
