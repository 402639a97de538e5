"""The rows of the Faithfulness panel: every scored map on the page, then the baseline maps scored with them.

Reads only the metric cache of the Explanations (:func:`cam_methods.cached_faithfulness`); no model call.
"""

from __future__ import annotations

from typing import NamedTuple

from cam_methods import MapScores, cached_baselines, cached_faithfulness
from cam_methods.baseline_maps import BASELINE_NAMES

from .tiles import Tile, tile_label


class Row(NamedTuple):
    """A scored map: its label, its measures, and whether it is a baseline map rather than a method's."""

    label: str
    scores: MapScores
    baseline: bool = False


def scored_tiles(tiles: list[Tile]) -> list[Tile]:
    return [tile for tile in tiles if cached_faithfulness(tile.explanation, tile.method_id) is not None]


def row_label(tile: Tile) -> str:
    """The tile's label; Finer maps also name the γ they were scored at."""
    return tile_label(tile) if tile.gamma is None else f"{tile_label(tile)} (γ = {tile.gamma:.2f})"


def scored_rows(tiles: list[Tile]) -> list[Row]:
    """The scored maps, then the baseline maps scored with the first one (on CLIP: for its prompt)."""
    scored = scored_tiles(tiles)
    rows = [Row(row_label(tile), cached_faithfulness(tile.explanation, tile.method_id)) for tile in scored]
    if scored:
        baselines = cached_baselines(scored[0].explanation)
        rows += [Row(BASELINE_NAMES[name], scores, baseline=True) for name, scores in baselines.items()]
    return rows
