"""The Faithfulness panel: a table of every scored map's metrics and one figure of their curves.

Only maps whose metrics are cached on their Explanation appear (pressing "Score faithfulness" fills the
cache); nothing here calls the model.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from cam_methods import cached_faithfulness

from .tiles import Tile, tile_label

HEADERS = ["map", "deletion AUC ↓", "insertion AUC ↑", "RD@5% ↑"]


def scored_tiles(tiles: list[Tile]) -> list[Tile]:
    return [tile for tile in tiles if cached_faithfulness(tile.explanation, tile.method_id) is not None]


def row_label(tile: Tile) -> str:
    """The tile's label; Finer maps also name the γ they were scored at."""
    return tile_label(tile) if tile.gamma is None else f"{tile_label(tile)} (γ = {tile.gamma:.2f})"


def table_rows(tiles: list[Tile]) -> list[list]:
    """One row per scored map: its label, deletion AUC, insertion AUC and RD@5%, rounded to 3 decimals."""
    rows = []
    for tile in scored_tiles(tiles):
        scores = cached_faithfulness(tile.explanation, tile.method_id)
        rows.append([row_label(tile), *(round(value, 3) for value in scores.summary().values())])
    return rows


def curves_figure(tiles: list[Tile]) -> Figure | None:
    """Deletion (left) and insertion (right) curves of every scored map on one figure; None before scoring.

    The y axis is the target's softmax probability, or, on CLIP, the prompt's similarity score.
    """
    scored = scored_tiles(tiles)
    if not scored:
        return None
    figure = Figure(figsize=(10, 3.8), layout="constrained")
    deletion, insertion = figure.subplots(1, 2, sharey=True)
    for tile in scored:
        scores = cached_faithfulness(tile.explanation, tile.method_id)
        deletion.plot(scores.fractions, scores.deletion, label=row_label(tile))
        insertion.plot(scores.fractions, scores.insertion, label=row_label(tile))
    clip = scored[0].explanation.backbone.family == "clip"
    deletion.set_ylabel("prompt similarity" if clip else "target probability")
    deletion.set_title("Deletion, most salient first (lower area is better)", fontsize="medium")
    insertion.set_title("Insertion, most salient first (higher area is better)", fontsize="medium")
    for axis in (deletion, insertion):
        axis.set_xlabel("fraction of pixels")
        axis.grid(alpha=0.3)
    insertion.legend(fontsize="small", loc="best")
    return figure
