"""The CLI's ``--score``: every faithfulness measure of the explained maps (:func:`.explanation_metrics.score_maps`,
with the baseline maps), scored before the bundle is written so that it holds ``scores.csv``, and a short
per-method table of the measures on stdout. Progress goes to stderr, one line per tenth of the work.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from .baseline_maps import BASELINE_NAMES
from .explanation import Explanation
from .explanation_metrics import cached_baselines, score_maps
from .map_scores import MapScores
from .metrics import MetricSettings
from .registry import METHODS

DEFAULT_SCORE_STEPS = MetricSettings().steps  # the app's step count
MAX_SCORE_STEPS = 200  # 2N − 1 model inputs per map: beyond this the curves are no finer, only slower
TABLE_COLUMNS = (  # (header, summary key)
    ("deletion", "deletion_auc"),
    ("insertion", "insertion_auc"),
    ("RD@5%", "rd"),
    ("ROAD MoRF", "road_morf"),
    ("ROAD LeRF", "road_lerf"),
    ("ROAD gap", "road_gap"),
    ("avg drop %", "average_drop"),
    ("increase %", "increase"),
)


def add_score_options(parser: argparse.ArgumentParser) -> None:
    """``--score`` and ``--score-steps N`` (read as text, checked by :func:`score_steps`, so a bad value gets
    the CLI's one-line error)."""
    parser.add_argument("--score", action="store_true", help="score the maps' faithfulness: scores.csv + table")
    parser.add_argument(
        "--score-steps",
        default=None,
        help=f"deletion / insertion steps N for --score, 1 to {MAX_SCORE_STEPS} (default {DEFAULT_SCORE_STEPS}); "
        "implies --score",
    )


def score_settings(args: argparse.Namespace) -> MetricSettings | None:
    """The metric settings asked for on the command line, or None when the maps are not to be scored."""
    if not args.score and args.score_steps is None:
        return None
    return MetricSettings(steps=score_steps(args.score_steps))


def score_steps(text: str | None) -> int:
    """``--score-steps``: a whole number from 1 to :data:`MAX_SCORE_STEPS` (None: the default); else a
    ValueError."""
    if text is None:
        return DEFAULT_SCORE_STEPS
    steps = int(text) if text.isascii() and text.isdigit() else 0
    if not 1 <= steps <= MAX_SCORE_STEPS:
        raise ValueError(f"--score-steps must be a whole number from 1 to {MAX_SCORE_STEPS}; got {text!r}")
    return steps


def score_all_targets(explanation: Explanation, settings: MetricSettings) -> list[Explanation]:
    """Score every target's maps (one per CLIP prompt, else just the one) and the baseline maps; the scores
    are cached on the Explanations, where :func:`.export.write_outputs` finds them. Returns the targets."""
    targets = list(explanation.per_prompt.values()) or [explanation]
    for target in targets:
        print(f"scoring {target.target_label!r} at {settings.steps} steps ...", file=sys.stderr)
        score_maps(target, settings=settings, progress=stderr_progress())
    return targets


def stderr_progress() -> Callable[[float, str], None]:
    """A progress callback that prints ``  40% ROAD: 12/30 inputs`` to stderr each time a new tenth is reached."""
    shown = [-1]

    def progress(fraction: float, message: str) -> None:
        tenth = int(fraction * 10)
        if tenth > shown[0]:
            shown[0] = tenth
            print(f"  {fraction:4.0%} {message}", file=sys.stderr)

    return progress


def print_score_table(targets: list[Explanation], settings: MetricSettings) -> None:
    """One row per method, then per baseline map, of the one-number measures (``nan``: not defined, e.g. RD
    without references)."""
    print(f"faithfulness (N = {settings.steps} steps; average drop / increase are this image's terms):")
    for target in targets:
        if len(targets) > 1:
            print(f" {target.target_label}:")
        scores = score_maps(target, settings=settings, baselines=False)  # cached: no model call
        rows: dict[str, MapScores] = {METHODS[m].name: score for m, score in scores.items()}
        rows.update((BASELINE_NAMES[m], score) for m, score in cached_baselines(target, settings).items())
        width = max(map(len, rows)) + 2
        print(" " * width + "".join(f"{header:>12}" for header, _ in TABLE_COLUMNS))
        for name, score in rows.items():
            summary = score.summary()
            print(f"{name:<{width}}" + "".join(f"{summary[key]:12.4f}" for _, key in TABLE_COLUMNS))
