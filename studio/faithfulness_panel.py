"""The Faithfulness panel: a table of every scored map's measures (best value per column marked, the baseline
maps below), one sentence per measure, and the curves (:mod:`.faithfulness_curves`).

Only maps whose measures are cached on their Explanation appear (pressing "Score faithfulness" fills the
cache); nothing here calls the model.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from .faithfulness_curves import curves_figure  # noqa: F401  (the handlers draw the curves through this module)
from .scored_rows import scored_rows
from .tiles import Tile

BEST = " ★"


class Measure(NamedTuple):
    """A table column: its summary key, header, whether higher is better, decimals, and a sentence for students."""

    key: str
    header: str
    higher_is_better: bool
    decimals: int
    sentence: str


MEASURES = (
    Measure(
        "deletion_auc",
        "deletion AUC ↓",
        False,
        3,
        "Delete the map's top pixels first (grey): the target's "
        "probability should fall fast, so a lower area under the curve is better.",
    ),
    Measure(
        "insertion_auc",
        "insertion AUC ↑",
        True,
        3,
        "Reveal the map's top pixels first on a blurred copy: the "
        "probability should rise fast, so a higher area is better.",
    ),
    Measure(
        "rd",
        "RD@5% ↑",
        True,
        3,
        "Grey out the top 5 %: how much more the target loses than its most similar "
        "class. Higher is better; below 0 the map points more at the rival class's evidence than the target's.",
    ),
    Measure(
        "road_morf",
        "ROAD MoRF ↓",
        False,
        3,
        "ROAD fills removed pixels from their neighbours (plus a little "
        "noise), so the hole does not look artificial; removing the top pixels first should lower the "
        "probability: lower is better.",
    ),
    Measure(
        "road_lerf",
        "ROAD LeRF ↑",
        True,
        3,
        "ROAD removing the map's least important pixels first: the probability should stay high, so higher is better.",
    ),
    Measure(
        "road_gap",
        "ROAD gap ↑",
        True,
        3,
        "LeRF minus MoRF: higher is better; about 0 means the map ranks "
        "pixels no better than chance, below 0 means worse than chance (it points away from the evidence).",
    ),
    Measure(
        "average_drop",
        "drop % ↓",
        False,
        1,
        "Keep the image only where the map is high (image × map): how "
        "much of the probability is lost, in %. Lower is better (0 = nothing lost).",
    ),
    Measure(
        "increase",
        "rises?",
        True,
        0,
        "Does the image × map score higher than the whole image? 'yes' is good "
        "(Increase in Confidence is the share of images where it does).",
    ),
)
HEADERS = ["map", *(measure.header for measure in MEASURES)]
NOTES = "\n".join(
    [
        "Every number is the target's probability (on CLIP: its zero-shot probability among the prompts and class "
        "prompts) after the input is changed as described. ★ marks the best value per column; the two baseline "
        "rows are maps that know nothing (random noise, a blob in the centre): a method should beat them.",
        *(f"- **{measure.header}**: {measure.sentence}" for measure in MEASURES),
    ]
)


def cell(measure: Measure, value: float, best: bool) -> str:
    """A value at the measure's rounding (``yes``/``no`` for the increase), ``★`` when it is the column's best."""
    if math.isnan(value):
        return "–"
    text = ("yes" if value > 0 else "no") if measure.key == "increase" else f"{value:.{measure.decimals}f}"
    return text + BEST if best else text


def table_rows(tiles: list[Tile]) -> list[list]:
    """One row per scored map and per baseline map: its label and every measure, rounded per column, the best
    value of each column (over all rows, ties included; none when the whole column is equal) marked with ★."""
    rows = scored_rows(tiles)
    summaries = [row.scores.summary() for row in rows]
    columns = []
    for measure in MEASURES:
        values = [round(summary[measure.key], measure.decimals) for summary in summaries]
        finite = [value for value in values if not math.isnan(value)]
        best = (max if measure.higher_is_better else min)(finite) if len(set(finite)) > 1 else math.nan
        columns.append([cell(measure, value, value == best) for value in values])
    return [[row.label, *cells] for row, cells in zip(rows, zip(*columns, strict=True), strict=True)]
