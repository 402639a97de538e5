"""The 9-map panel from a PIL image with today's preprocessing against the Pillow preprocessing it replaced.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/speed_preprocess.py [--rounds 25] [--threads 1]

Interleaved round by round on chelsea (EfficientNet-Lite0, framed whole at 224×352), medians in ms: one
inference-mode forward of the ready tensor; ``explain`` of the panel from the PIL image with the current
:class:`model_zoo.preprocess.Preprocess` and with the previous one (Pillow resize, NumPy normalisation; the
reference of tests/test_preprocess.py, swapped in for that call); the panel from the tensor; and the two
preprocessings alone. Prints each panel / forward ratio (goal from a PIL image: ≤ 1.25×, issue #15).
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
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import torch  # noqa: E402
from PIL import Image  # noqa: E402
from test_preprocess import PANEL, pillow_reference  # noqa: E402

from cam_methods import explain  # noqa: E402
from model_zoo import load_backbone  # noqa: E402
from model_zoo.preprocess import Preprocess  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    backbone = load_backbone("efficientnet_lite0")
    picture = Image.open(ROOT / "assets" / "chelsea.png")
    picture.load()
    x = backbone.prepare(picture)[0]
    current = Preprocess.__call__

    def previous(self: Preprocess, image: Image.Image) -> tuple:
        return pillow_reference(self, image), self.geometry(image.convert("RGB").size)

    def forward() -> None:
        with torch.inference_mode():
            backbone.model(x)

    def panel_previous() -> None:
        Preprocess.__call__ = previous
        try:
            explain(backbone, picture, PANEL)
        finally:
            Preprocess.__call__ = current

    calls = {
        "forward": forward,
        "panel, PIL image": lambda: explain(backbone, picture, PANEL),
        "panel, PIL image, previous preprocessing": panel_previous,
        "panel, tensor": lambda: explain(backbone, x, PANEL),
        "preprocessing": lambda: backbone.preprocess(picture),
        "previous preprocessing": lambda: pillow_reference(backbone.preprocess, picture),
    }
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for call in calls.values():  # warm-up
        call()
    for _ in range(args.rounds):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            samples[name].append(time.perf_counter() - started)
    medians = {name: statistics.median(values) * 1e3 for name, values in samples.items()}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.rounds} rounds, medians in ms")
    for name, median in medians.items():
        ratio = f"  ({median / medians['forward']:.3f}× forward)" if name.startswith("panel") else ""
        print(f"{name:>42}: {median:8.2f}{ratio}")


if __name__ == "__main__":
    main()
