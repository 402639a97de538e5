"""A :class:`~cam_methods.sanity.SanityCheck` for people: the similarity table (methods × steps, as the CLI
prints it), the strip of maps across the cascade and the similarity curve (matplotlib figures, for the CLI
and the app)."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from .registry import METHODS
from .render import overlay
from .sanity import SanityCheck

THUMBNAIL_INCHES = 1.25


def format_similarity(value: float) -> str:
    """A measure with two decimals, or ``blank`` when it is NaN (the map became constant: nothing to rank)."""
    return "blank" if math.isnan(value) else f"{value:+.2f}"


def similarity_table(check: SanityCheck, measure: str = "spearman") -> str:
    """The methods × steps table of ``measure`` (a key of :data:`~cam_methods.sanity.MEASURES`) to the
    original map, then the random-logit column."""
    width = max(8, *(len(step) for step in check.steps))
    header = f"{'method':<16}" + "".join(f"{step:>{width + 1}}" for step in check.steps) + "  random class"
    rows = [
        f"{method_id:<16}"
        + "".join(f"{format_similarity(value):>{width + 1}}" for value in check.measures[measure][method_id])
        + f"  {format_similarity(check.random_measures[measure][method_id]):>12}"
        for method_id in check.method_ids
    ]
    return "\n".join([header, *rows])


def input_picture(check: SanityCheck) -> Image.Image:
    """The preprocessed input (the crop the maps are aligned with) as a picture."""
    original = check.original
    return Image.fromarray(original.backbone.preprocess.denormalise(original.input_tensor))


def strip_figure(check: SanityCheck, cmap: str = "jet", opacity: float = 0.5, per_line: int | None = None) -> Figure:
    """One row per method: its map after each step of the cascade, then the random class's map; ρ to the
    original under each thumbnail. ``per_line`` wraps each method's row after that many maps (a narrow figure
    for a phone; every wrapped thumbnail then carries its step's name)."""
    picture = np.asarray(input_picture(check))
    columns = [*check.steps, f"class: {check.random_label.split(',')[0]}"]
    per_line = min(per_line or len(columns), len(columns))
    lines = math.ceil(len(columns) / per_line)
    rows = len(check.method_ids) * lines
    row_inches = THUMBNAIL_INCHES * picture.shape[0] / picture.shape[1] + (0.3 if lines == 1 else 0.45)
    figure = Figure(figsize=(THUMBNAIL_INCHES * per_line, row_inches * rows + 0.4), layout="constrained")
    axes = figure.subplots(rows, per_line, squeeze=False)
    for axis in axes.flat:
        axis.set_axis_off()
    for method_row, method_id in enumerate(check.method_ids):
        maps = [*check.maps[method_id], check.random_maps[method_id]]
        values = [*check.similarity[method_id], check.random_similarity[method_id]]
        for column, (heatmap, value) in enumerate(zip(maps, values, strict=True)):
            axis = axes[method_row * lines + column // per_line, column % per_line]
            axis.set_axis_on()
            axis.imshow(np.asarray(overlay(picture, heatmap, cmap, opacity)))
            axis.set_xticks([])
            axis.set_yticks([])
            axis.set_xlabel(f"ρ {format_similarity(value)}", fontsize=7, labelpad=1)
            if method_row == 0 or lines > 1:
                axis.set_title(columns[column], fontsize=7)
        axes[method_row * lines, 0].set_ylabel(METHODS[method_id].name, fontsize=8)
    title = f"Cascading randomisation, head → input (target: {check.target_label})"
    figure.suptitle(title if lines == 1 else title.replace(" (", "\n("), fontsize=9)
    return figure


def similarity_curve(check: SanityCheck) -> Figure:
    """Spearman ρ to the original map against the cascade step, one line per method (blank maps: gaps); narrow
    enough to read on a phone, the legend under the plot."""
    figure = Figure(figsize=(5.2, 4.2), layout="constrained")
    axis = figure.subplots()
    steps = range(len(check.steps))
    for method_id in check.method_ids:
        axis.plot(steps, check.similarity[method_id], marker="o", label=METHODS[method_id].name)
    axis.axhline(0, color="grey", linewidth=0.8, linestyle="--")
    axis.set_xticks(list(steps), check.steps, rotation=45, ha="right", fontsize=9)
    axis.set_ylim(-1.05, 1.05)
    axis.set_xlabel("randomised up to (head → input)")
    axis.set_ylabel("Spearman ρ to the original map")
    figure.legend(loc="outside lower center", ncols=min(3, len(check.method_ids)), fontsize=9, frameon=False)
    return figure
