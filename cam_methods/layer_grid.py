"""An across-layers sweep on disk and as a figure: methods × layers (rows = methods, columns = layers,
shallow to deep), one overlay per cell, so one sees at which depth two methods part.

Files (beside the usual bundle, when the Explanation holds a sweep): ``layers/<layer>/<method>.png`` (the
overlay at that layer, on the uploaded image) and ``layers_grid.png`` (the whole grid, titled).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from .explanation import Explanation
from .registry import METHODS
from .render import overlay

CELL_INCHES = 1.9


def sweep_methods(explanation: Explanation) -> list[str]:
    """The methods of a sweep in request order: every method that has a map at one layer at least."""
    return list(dict.fromkeys(m for part in explanation.per_layer.values() for m in part.method_ids))


def layer_grid_figure(explanation: Explanation, cmap: str = "jet", opacity: float = 0.5) -> Figure:
    """The methods × layers grid of ``explanation.per_layer``; a cell reads "not at this layer" where the
    method could not run (CAM away from the GAP + linear layer)."""
    methods, layers = sweep_methods(explanation), list(explanation.per_layer)
    picture = np.asarray(explanation.picture)
    aspect = picture.shape[0] / picture.shape[1]
    figure = Figure(
        figsize=(CELL_INCHES * len(layers) + 1.2, (CELL_INCHES * aspect + 0.3) * len(methods) + 0.5),
        layout="constrained",
    )
    axes = figure.subplots(len(methods), len(layers), squeeze=False)
    for row, method_id in enumerate(methods):
        for column, layer in enumerate(layers):
            axis, part = axes[row, column], explanation.per_layer[layer]
            axis.set_xticks([])
            axis.set_yticks([])
            if method_id in part.maps:
                axis.imshow(overlay(picture, part.to_image(method_id), cmap, opacity))
            else:
                axis.text(0.5, 0.5, "not at this layer", ha="center", va="center", fontsize=7)
            if row == 0:
                axis.set_title(layer, fontsize=8)
            if column == 0:
                axis.set_ylabel(METHODS[method_id].name, fontsize=8)
    figure.suptitle(f"{explanation.target_label} | {explanation.backbone.name} | across layers", fontsize=10)
    return figure


def write_layers(explanation: Explanation, out: Path, cmap: str, opacity: float) -> list[Path]:
    """The per-layer overlays and ``layers_grid.png`` of a sweep in ``out``; nothing for a one-layer one."""
    if not explanation.per_layer:
        return []
    written = []
    for layer, part in explanation.per_layer.items():
        folder = out / "layers" / layer
        folder.mkdir(parents=True, exist_ok=True)
        for method_id in part.method_ids:
            written.append(folder / f"{method_id}.png")
            overlay(part.picture, part.to_image(method_id), cmap, opacity).save(written[-1])
    grid = out / "layers_grid.png"
    layer_grid_figure(explanation, cmap, opacity).savefig(grid, dpi=100, bbox_inches="tight", pad_inches=0.05)
    return [*written, grid]
