"""The anatomy figures: Grad-CAM's channel weights as bars, and both methods' maps written out as sums.

Signed terms are drawn with the diverging colormap on one symmetric scale per row, so a term's colour can be
compared with the sum's: red adds to the map, blue takes away. The last column is the map the Explain tab
shows (ReLU, min-max to [0, 1], upsampled, ``jet`` overlay).
"""

from __future__ import annotations

import io
import textwrap

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from PIL import Image

from cam_methods.postprocess import to_input_map
from cam_methods.render import DIVERGING_COLORMAP, overlay

from .anatomy import Anatomy

DPI = 90
SHOWN, HIGHLIGHT = "tab:orange", "tab:blue"


def png(figure: Figure) -> Image.Image:
    """The figure as an RGB image."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def weights_figure(anatomy: Anatomy, narrow: bool = False) -> Image.Image:
    """Bars of α_k for the channels with the largest share of Grad-CAM's map; the shown channels in orange.
    ``narrow``: 4 inches wide (a phone), the channel numbers upright and the long labels on two lines."""
    channels = anatomy.bar_channels()
    figure = Figure(figsize=(4, 3.6) if narrow else (9, 2.8), layout="constrained")
    axis = figure.subplots()
    shown = set(anatomy.channels.tolist())
    colours = [SHOWN if k in shown else HIGHLIGHT for k in channels.tolist()]
    axis.bar(range(len(channels)), anatomy.alpha[channels], color=colours)
    axis.axhline(0, color="black", linewidth=0.8)
    labels = [str(k) for k in channels.tolist()]
    axis.set_xticks(range(len(channels)), labels, fontsize="small", rotation=90 if narrow else 0)
    line = "\n" if narrow else " "
    axis.set_xlabel(f"channel k (the {len(channels)} of {anatomy.channel_count}{line}with the largest terms ‖α_k A_k‖)")
    axis.set_ylabel("α_k = mean of G_k")
    axis.set_title(f"Grad-CAM's channel weights{line}(orange: the channels drawn below)", fontsize="medium")
    axis.grid(axis="y", alpha=0.3)
    return png(figure)


def final_overlay(picture: np.ndarray, grid_map: np.ndarray) -> Image.Image:
    """The map as the Explain tab draws it: ReLU, min-max, upsampled to the picture, ``jet`` at opacity 0.5."""
    heatmap = to_input_map(torch.from_numpy(grid_map), picture.shape[:2]).numpy()
    return overlay(picture, heatmap, "jet", 0.5)


def draw(axis: Axes, image: np.ndarray, title: str, cmap: str = DIVERGING_COLORMAP, scale: float | None = None):
    """One panel: the image with ``cmap`` (on ``[-scale, scale]`` when a scale is given), titled, no ticks."""
    limits = {} if scale is None else {"vmin": -scale, "vmax": scale}
    drawn = axis.imshow(image, cmap=cmap, **limits)
    axis.set_title(title, fontsize="small")
    axis.set_xticks([])
    axis.set_yticks([])
    return drawn


def signed_scale(*arrays: np.ndarray) -> float:
    """The largest absolute value among the arrays (at least the smallest positive float)."""
    return max(float(np.abs(np.asarray(array)).max()) for array in arrays) or float(np.finfo(np.float32).tiny)


def sum_row(figure: Figure, axes: list[Axes], anatomy: Anatomy, method: str) -> None:
    """One method's terms (one scale), then the rest and the map before ReLU (another scale, the colour bar),
    then the map as shown."""
    terms, rest, total = (getattr(anatomy, f"{method}_{part}") for part in ("terms", "rest", "map"))
    factor, name = ("α_k·A_k", "Grad-CAM") if method == "gradcam" else ("G_k⊙A_k", "HiResCAM")
    term_scale, sum_scale = signed_scale(terms), signed_scale(rest, total)
    for number, (axis, term, k) in enumerate(zip(axes, terms, anatomy.channels.tolist(), strict=False)):
        draw(axis, term, f"{'+ ' if number else ''}{factor}, k = {k}", scale=term_scale)
    axes[0].set_ylabel(f"{name}\nterms: ±{term_scale:.2g}")
    others = anatomy.channel_count - len(anatomy.channels)
    draw(axes[len(terms)], rest, f"+ the other {others} channels", scale=sum_scale)
    axes[len(terms)].set_ylabel(f"±{sum_scale:.2g}")
    drawn = draw(axes[len(terms) + 1], total, f"= {name}, before ReLU", scale=sum_scale)
    draw(axes[-1], np.asarray(final_overlay(anatomy.picture, total)), f"{name} as shown", cmap=None)
    figure.colorbar(drawn, ax=axes, shrink=0.8, pad=0.01)


def factor_row(figure: Figure, axes: list[Axes], anatomy: Anatomy, kind: str) -> None:
    """The shown channels' activations A_k (own scale each, and the input) or gradients G_k (one scale)."""
    shown = len(anatomy.channels)
    for axis in axes[shown:-1]:
        axis.set_axis_off()
    if kind == "activations":
        for axis, channel, k in zip(axes, anatomy.activations, anatomy.channels.tolist(), strict=False):
            draw(axis, channel, f"A_k, k = {k}", cmap="viridis")
        axes[0].set_ylabel("activations")
        draw(axes[-1], anatomy.picture, "input (as the model saw it)", cmap=None)
        return
    axes[-1].set_axis_off()
    scale = signed_scale(anatomy.gradients)
    alphas = anatomy.alpha[anatomy.channels]
    for axis, channel, k, alpha in zip(axes, anatomy.gradients, anatomy.channels.tolist(), alphas, strict=False):
        drawn = draw(axis, channel, f"G_k, k = {k}: mean {alpha:.2g}", scale=scale)
    axes[0].set_ylabel(f"gradients: ±{scale:.2g}")
    figure.colorbar(drawn, ax=axes, shrink=0.8, pad=0.01)


ROWS = (("activations", factor_row), ("gradcam", sum_row), ("gradients", factor_row), ("hirescam", sum_row))


def sum_figure(anatomy: Anatomy, narrow: bool = False) -> Image.Image:
    """Four rows: the shown channels' A_k; Grad-CAM's α_k·A_k terms adding up to its map; their G_k (α_k is
    each one's mean); and HiResCAM's G_k⊙A_k terms adding up to its map. ``narrow`` (a phone) breaks each row
    in two lines, the channel terms over the rest, the sum and the map, with titles wrapped to fit."""
    shown = len(anatomy.channels)
    if not narrow:
        figure = Figure(figsize=(2.1 * (shown + 3), 8.8), layout="constrained")
        grid = figure.subplots(4, shown + 3)
        rows = [list(row) for row in grid]
    else:
        per_line = max(shown, 3)
        heights = [1, 1, 1, 1, 1, 0.01, 1, 1]  # the gradients have nothing on their second line
        figure = Figure(figsize=(1.1 * per_line, 8.4), layout="constrained")
        grid = figure.subplots(8, per_line, gridspec_kw={"height_ratios": heights})
        rows = [list(grid[2 * row, :shown]) + list(grid[2 * row + 1, :3]) for row in range(4)]
        for axis in grid.flat:
            axis.set_axis_off()
    for row, (kind, fill) in enumerate(ROWS):
        if narrow:
            for axis in rows[row]:
                axis.set_axis_on()
        fill(figure, rows[row], anatomy, kind)
    if narrow:
        for axis in grid.flat:
            title = "\n".join(textwrap.fill(part, 14) for part in axis.get_title().replace(": ", ", ").split(", "))
            axis.set_title(title, fontsize="x-small")
    return png(figure)
