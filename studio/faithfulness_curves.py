"""The Faithfulness panel's figure: deletion, insertion, ROAD MoRF and ROAD LeRF curves as four small
multiples (the legend outside them, the baseline maps dashed in grey), the input at 10 / 30 / 50 %
deletion by the first scored map, so a student sees what the model was shown, and one sentence per measure
(:data:`.measure_notes.NOTES`). Nothing here calls the model.
"""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.figure import Figure

from cam_methods.metrics import pixel_ranks

from .measure_notes import NOTES
from .scored_rows import scored_rows, scored_tiles
from .tiles import Tile

PANELS = (  # (attribute of the fractions, attribute of the scores, title)
    ("fractions", "deletion", "Deletion: top pixels greyed first (lower is better)"),
    ("fractions", "insertion", "Insertion: top pixels revealed first (higher is better)"),
    ("road.fractions", "road.morf", "ROAD MoRF: top pixels imputed first (lower is better)"),
    ("road.fractions", "road.lerf", "ROAD LeRF: least important first (higher is better)"),
)
THUMBNAIL_FRACTIONS = (0.1, 0.3, 0.5)
BASELINE_STYLES = ({"color": "0.45", "linestyle": "--"}, {"color": "0.45", "linestyle": ":"})


def _value(scores: object, path: str) -> np.ndarray:
    for name in path.split("."):
        scores = getattr(scores, name)
    return scores


def deleted_thumbnail(tile: Tile, fraction: float) -> np.ndarray:
    """The model input (H×W×3 uint8) with the map's top ``fraction`` of pixels at the fill value 0 (normalised
    space, i.e. the mean colour), exactly as the deletion curve's input at that fraction."""
    explanation = tile.explanation
    height, width = explanation.input_tensor.shape[-2:]
    deleted = (pixel_ranks(explanation.maps[tile.method_id]) < round(fraction * height * width)).view(height, width)
    return explanation.backbone.preprocess.denormalise(explanation.input_tensor.cpu() * ~deleted)


def curves_figure(tiles: list[Tile]) -> Figure | None:
    """The four curves of every scored map and baseline, and the deletion thumbnails; None before scoring.

    The y axis is the target's softmax probability, or, on CLIP, the prompt's zero-shot probability.
    """
    rows = scored_rows(tiles)
    if not rows:
        return None
    figure = Figure(figsize=(11, 10.5), layout="constrained")
    top, bottom, notes = figure.subfigures(3, 1, height_ratios=(2.6, 1, 1.1))
    axes = top.subplots(2, 2, sharey=True).flatten()
    baselines = iter(BASELINE_STYLES)
    for row in rows:
        style = next(baselines) if row.baseline else {}
        for axis, (x_path, y_path, _) in zip(axes, PANELS, strict=True):
            axis.plot(_value(row.scores, x_path), _value(row.scores, y_path), label=row.label, marker=".", **style)
    clip = scored_tiles(tiles)[0].explanation.backbone.family == "clip"
    for axis, (_, _, title) in zip(axes, PANELS, strict=True):
        axis.set_title(title, fontsize="medium")
        axis.set_xlabel("fraction of pixels")
        axis.set_ylabel("zero-shot probability" if clip else "target probability")
        axis.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    top.legend(handles, labels, loc="outside right upper", fontsize="small")
    _draw_thumbnails(bottom, scored_tiles(tiles)[0], rows[0].label)
    plain = NOTES.replace("**", "")
    wrapped = "\n".join(textwrap.fill(line, 150, subsequent_indent="   ") for line in plain.splitlines())
    notes.text(0.01, 0.98, wrapped, va="top", ha="left", fontsize="small")
    return figure


def _draw_thumbnails(panel: Figure, tile: Tile, label: str) -> None:
    for axis, fraction in zip(panel.subplots(1, len(THUMBNAIL_FRACTIONS)), THUMBNAIL_FRACTIONS, strict=True):
        axis.imshow(deleted_thumbnail(tile, fraction))
        axis.set_title(f"{fraction:.0%} deleted", fontsize="small")
        axis.set_axis_off()
    panel.suptitle(f"What deletion shows the model, for {label}", fontsize="medium")
