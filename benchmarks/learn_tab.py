"""What the Learn tab's examples show and cost: Grad-CAM vs HiResCAM per layer of the bundled EfficientNet-Lite0
on the bundled cat photo, and the seconds the tab's cached content takes the first time and afterwards.

    python benchmarks/learn_tab.py [--figure docs/learn_anatomy.png]

Per layer: the grid, the channel count K, the Pearson correlation of the two normalised maps (what a student
sees) and whether the raw maps coincide. Then the first and the second call of the bundled example's anatomy
(capture + figures) and of the two-object demonstration (one capture, five targets); the second is the cache.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from cam_methods import explain  # noqa: E402
from model_zoo import DEFAULT_BACKBONE, load_backbone  # noqa: E402
from studio import anatomy, learn_examples  # noqa: E402


def layer_rows() -> None:
    backbone = load_backbone(DEFAULT_BACKBONE)
    print("layer     grid    K     Pearson(Grad-CAM, HiResCAM)  raw maps coincide")
    for layer in backbone.layers:
        explanation = explain(backbone, learn_examples.EXAMPLE, ["gradcam", "hirescam"], layer=layer)
        grid = tuple(explanation.evidence.activations.shape)
        pearson = np.corrcoef(explanation.maps["gradcam"].ravel(), explanation.maps["hirescam"].ravel())[0, 1]
        coincide = anatomy.of_explanation(explanation).coincide
        print(f"{layer:9} {grid[1]:>3}×{grid[2]:<3} {grid[0]:>5} {pearson:>12.3f}                 {coincide}")


def timed(label: str, call) -> None:
    """Wall and CPU seconds (all threads) of the first and the second, cached, call."""
    for attempt in ("first", "cached"):
        started, cpu = time.perf_counter(), time.process_time()
        call()
        print(f"{label}, {attempt}: {time.perf_counter() - started:.2f} s wall, {time.process_time() - cpu:.2f} s CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figure", type=Path, help="save the bundled example's sums figure here")
    args = parser.parse_args()
    layer_rows()
    layer = learn_examples.EXAMPLE_LAYER
    timed(f"anatomy at {layer}", lambda: learn_examples.example_anatomy(layer))
    timed("switch the target (5 classes)", learn_examples.switch_targets)
    if args.figure:
        learn_examples.example_anatomy(layer)[2].save(args.figure)  # the wide sums figure


if __name__ == "__main__":
    main()
