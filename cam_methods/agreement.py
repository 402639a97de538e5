"""The agreement matrix of a panel (methods × methods; measures in :mod:`cam_methods.comparison`) as a
figure, as numbers for the manifest and as files: ``agreement.csv`` (one row per pair of methods: Spearman ρ
and top-15 % IoU) and ``agreement.png`` (the Spearman matrix), written when a panel has two maps or more."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .comparison import MEASURES, agreement_matrix
from .explanation import Explanation
from .registry import METHODS
from .render import DIVERGING_COLORMAP

AGREEMENT_COLUMNS = ("method_a", "method_b", *MEASURES)


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


def agreement(explanation: Explanation) -> dict[str, Any]:
    """{"methods": ids, "spearman": n×n, "top_iou": n×n} for the manifest (None where a value is NaN)."""
    maps = explanation.maps
    matrices = {measure: agreement_matrix(maps, measure) for measure in MEASURES}
    return {
        "methods": list(maps),
        **{
            measure: [[None if math.isnan(v) else float(v) for v in row] for row in m]
            for measure, m in matrices.items()
        },
    }


def write_agreement(explanation: Explanation, out: Path) -> list[Path]:
    """``agreement.csv`` and ``agreement.png`` in ``out``; nothing for a panel of one map."""
    if len(explanation.maps) < 2:
        return []
    numbers = agreement(explanation)
    methods = numbers["methods"]
    csv_path, figure_path = out / "agreement.csv", out / "agreement.png"
    with csv_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(AGREEMENT_COLUMNS)
        for i, first in enumerate(methods):
            for j in range(i + 1, len(methods)):
                writer.writerow([first, methods[j], *(repr(numbers[measure][i][j]) for measure in MEASURES)])
    names = [METHODS[method_id].name for method_id in methods]
    figure = agreement_figure(names, np.array(numbers["spearman"], dtype=float), "Spearman ρ between the maps")
    figure.savefig(figure_path, dpi=100, bbox_inches="tight", pad_inches=0.05)
    return [csv_path, figure_path]
