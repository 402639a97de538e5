"""The Faithfulness panel: a table of every scored map's measures (best value per column marked, the baseline
maps below), one sentence per measure, and the curves (:mod:`.faithfulness_curves`).

Only maps whose measures are cached on their Explanation appear (pressing "Score faithfulness" fills the
cache); nothing here calls the model.
"""

from __future__ import annotations

import math

from .faithfulness_curves import curves_figure  # noqa: F401  (the handlers draw the curves through this module)
from .measure_notes import MEASURES, NOTES, Measure  # noqa: F401  (NOTES: the sentences, for the page)
from .scored_rows import scored_rows
from .tiles import Tile

BEST = " ★"
HEADERS = ["map", *(measure.header for measure in MEASURES)]


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
