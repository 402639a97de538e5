"""Drawing maps: matplotlib colormaps, overlays at a chosen opacity, and a side-by-side grid figure."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # render to files and arrays; never open a window

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from PIL import Image

COLORMAPS = ("jet", "turbo", "viridis", "inferno", "magma", "coolwarm", "gray")
DIVERGING_COLORMAP = "coolwarm"


def colourise(heatmap: np.ndarray, cmap: str = "jet", signed: bool = False) -> np.ndarray:
    """H×W×3 uint8 colours for a map in [0, 1] (or [-1, 1] when ``signed``, drawn with zero at mid-scale)."""
    if cmap not in colormaps:
        raise ValueError(f"unknown colormap {cmap!r}; try one of {', '.join(COLORMAPS)}")
    values = (heatmap + 1) / 2 if signed else heatmap
    rgba = colormaps[cmap](np.clip(values, 0, 1))
    return (rgba[..., :3] * 255).round().astype(np.uint8)


def check_opacity(opacity: float) -> float:
    """``opacity`` as a float, or a ValueError unless it is a number in [0, 1] (NaN is not)."""
    if isinstance(opacity, bool) or not isinstance(opacity, (int, float)) or not 0 <= opacity <= 1:
        raise ValueError(f"the overlay opacity must be a number between 0 and 1, not {opacity!r}")
    return float(opacity)


def overlay(
    image: Image.Image | np.ndarray, heatmap: np.ndarray, cmap: str = "jet", opacity: float = 0.5, signed: bool = False
) -> Image.Image:
    """``(1 − opacity)·image + opacity·colour(heatmap)``; the heatmap must have the image's height and width."""
    check_opacity(opacity)
    pixels = np.asarray(image.convert("RGB") if isinstance(image, Image.Image) else image, dtype=np.float32)
    if pixels.shape[:2] != heatmap.shape:
        raise ValueError(f"map {heatmap.shape} does not match image {pixels.shape[:2]}")
    colours = colourise(heatmap, cmap, signed).astype(np.float32)
    blended = (1 - opacity) * pixels + opacity * colours
    return Image.fromarray(blended.round().clip(0, 255).astype(np.uint8))


def grid_figure(
    image: Image.Image | np.ndarray,
    heatmaps: Sequence[np.ndarray],
    titles: Sequence[str],
    cmap: str = "jet",
    opacity: float = 0.5,
    columns: int = 4,
    title: str | None = None,
) -> Figure:
    """The original image followed by one overlay per map, ``columns`` panels per row, under an optional
    ``title``. Each row is as tall as the image's aspect ratio asks, so a wide picture leaves no blank band."""
    panels = [np.asarray(image)] + [np.asarray(overlay(image, h, cmap, opacity)) for h in heatmaps]
    names = ["input", *titles]
    rows, width = -(-len(panels) // columns), min(columns, len(panels))
    aspect = panels[0].shape[0] / panels[0].shape[1]
    height = rows * (3 * aspect + 0.35) + (0.4 if title else 0)
    figure = Figure(figsize=(3 * width, height), layout="constrained")
    axes = figure.subplots(rows, width, squeeze=False)
    for axis in axes.flat:
        axis.axis("off")
    for axis, panel, name in zip(axes.flat, panels, names, strict=False):
        axis.imshow(panel)
        axis.set_title(name, fontsize=9)
    if title:
        figure.suptitle(title, fontsize=11)
    return figure
