"""Speed of the one-pass panel against one plain forward pass and against the per-method way.

    python benchmarks/speed.py [--rounds 15] [--threads N] [--slow-repeats 1] [--sweep-rounds 5] [--bundled-only]

Per row, measured side by side and interleaved in one run (medians over the rounds; the two ratios are medians
of each round's own ratio):
- ``forward``: one plain forward pass under ``torch.inference_mode()``;
- ``panel``: ``explain`` with all 8 gradient-family ids plus ``finer-gradcam`` from one capture (first row: from a
  PIL image, preprocessing included; the other rows from the ready input tensor);
- ``per-method``: the same 9 maps the naive way, one full forward *and* full backward pass per method
  (hooks on the layer, gradient down to the input, as most CAM libraries do it);
- ``with_gamma``: a Finer-CAM strength change on the panel's Explanation.
Goals (EfficientNet-Lite0 on chelsea, 2-core CPU): from a PIL image panel ≤ 1.25× forward (issue #15), from a
tensor panel ≤ 1.5× forward, per-method / panel ≥ 8×, with_gamma ≤ 10 ms.
Then the slow methods' table from ``speed_slow.py`` (Score-CAM, Abs-CAM batched vs one image at a time, FGVis
with and without its filter); ``--slow-repeats 0`` skips it. Last, the across-layers sweep from ``speed_layers.py``
(5 methods × every stage of Lite0 against one forward pass; goal ≤ 3×); ``--sweep-rounds 0`` skips it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]

import torch  # noqa: E402
from speed_families import family_rows, picture_row  # noqa: E402

from cam_methods import SHARED_PASS_METHODS  # noqa: E402

PANEL = [*SHARED_PASS_METHODS, "finer-gradcam"]


@dataclass
class Row:
    """One model to time: each callable does the whole job once."""

    label: str
    forward: Callable[[], object]
    panel: Callable[[], object]
    per_method: Callable[[], object]
    with_gamma: Callable[[], object]


def median_seconds(fn: Callable[[], object], samples: list[float]) -> None:
    started = time.perf_counter()
    fn()
    samples.append(time.perf_counter() - started)


def measure(row: Row, rounds: int) -> dict[str, float]:
    """Medians over ``rounds`` interleaved rounds, and the two ratios as medians of each round's own ratio
    (its panel against the forward timed just before it), so that a machine whose speed drifts between
    rounds (this one's does, by up to a third) moves both sides of a ratio alike."""
    samples: dict[str, list[float]] = {"forward": [], "panel": [], "per_method": [], "with_gamma": []}
    for fn in (row.forward, row.panel, row.per_method, row.with_gamma):  # warm-up
        fn()
    for _ in range(rounds):  # interleaved, so load changes hit every column alike
        for name in samples:
            median_seconds(getattr(row, name), samples[name])
    medians = {name: statistics.median(values) for name, values in samples.items()}
    medians["panel/fwd"] = paired_ratio(samples["panel"], samples["forward"])
    medians["speed-up"] = paired_ratio(samples["per_method"], samples["panel"])
    return medians


def paired_ratio(numerators: list[float], denominators: list[float]) -> float:
    """The median of the per-round ratios."""
    return statistics.median(n / d for n, d in zip(numerators, denominators, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--bundled-only", action="store_true", help="only Lite0, from a picture and a tensor")
    parser.add_argument("--slow-repeats", type=int, default=1, help="repeats of each slow-method variant")
    parser.add_argument("--sweep-rounds", type=int, default=5, help="rounds of the across-layers sweep table")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.rounds} rounds, medians in ms")
    columns = ("forward", "panel", "per-method", "with_gamma", "panel/fwd", "speed-up")
    header = f"{'model':<40} " + " ".join(f"{name:>11}" for name in columns)
    print(header)
    print("-" * len(header))
    if args.bundled_only:
        rows = [picture_row(Row, PANEL), picture_row(Row, PANEL, from_picture=False)]
    else:
        rows = [picture_row(Row, PANEL), *family_rows(Row, PANEL)]
    for row in rows:
        t = measure(row, args.rounds)
        print(
            f"{row.label:<40} {t['forward'] * 1e3:11.1f} {t['panel'] * 1e3:11.1f} {t['per_method'] * 1e3:11.1f} "
            f"{t['with_gamma'] * 1e3:11.2f} {t['panel/fwd']:10.2f}x {t['speed-up']:10.1f}x"
        )
    print(f"panel = {len(PANEL)} maps: {', '.join(PANEL)}")
    if args.slow_repeats:
        from speed_slow import VARIANTS, print_table

        print(f"\nslow methods on EfficientNet-Lite0, chelsea 224×352, {args.slow_repeats} run(s) of each variant:")
        print_table(list(VARIANTS), args.slow_repeats)
    if args.sweep_rounds:
        from speed_layers import sweep_table

        sweep_table(args.sweep_rounds)


if __name__ == "__main__":
    main()
