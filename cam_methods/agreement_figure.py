"""The agreement matrix of a panel as a figure: a methods × methods grid of coloured cells with the value
written in each (see :mod:`cam_methods.comparison` for the measures)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from .render import DIVERGING_COLORMAP


def agreement_figure(names: Sequence[str], matrix: np.ndarray, title: str) -> Figure:
    """``matrix[i, j]`` between method ``names[i]`` and ``names[j]``, coloured on [−1, 1] with a diverging
    colormap (white = 0), the value printed in each cell ("n/a" for NaN: a constant map)."""
    size = 1.2 + 0.75 * len(names)
    figure = Figure(figsize=(size + 1.2, size), layout="constrained")
    axis = figure.subplots()
    image = axis.imshow(np.nan_to_num(matrix, nan=0.0), cmap=DIVERGING_COLORMAP, vmin=-1, vmax=1)
    axis.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=8)
    axis.set_yticks(range(len(names)), names, fontsize=8)
    for (i, j), value in np.ndenumerate(matrix):
        axis.text(j, i, "n/a" if np.isnan(value) else f"{value:.2f}", ha="center", va="center", fontsize=8)
    figure.colorbar(image, ax=axis, shrink=0.8)
    axis.set_title(title, fontsize=10)
    return figure
