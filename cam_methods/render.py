"""Drawing maps: matplotlib colormaps, overlays at a chosen opacity (with the part of the picture the model did
not see greyed out), and a side-by-side grid figure."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # render to files and arrays; never open a window

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from PIL import Image

if TYPE_CHECKING:
    from .explanation import Explanation

COLORMAPS = ("jet", "turbo", "viridis", "inferno", "magma", "coolwarm", "gray")
DIVERGING_COLORMAP = "coolwarm"
NOT_SEEN_BRIGHTNESS = 0.45  # pixels the model did not see: their luminance, darkened to 45 %
OUTLINE_COLOUR = (255, 255, 255)  # the line around the part the model saw
OUTLINE_WIDTH = 0.004  # of the picture's longer side, at least 2 px
LUMINANCE = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R BT.601 weights of R, G, B


def colourise(heatmap: np.ndarray, cmap: str = "jet", signed: bool = False) -> np.ndarray:
    """H×W×3 uint8 colours for a map in [0, 1] (or [-1, 1] when ``signed``, drawn with zero at mid-scale).

    Matplotlib's lookup, by table: value ``v`` gets entry ``min(⌊v·N⌋, N − 1)`` of the colormap's N colours
    (NaN its "bad" colour), as ``colormaps[cmap](v)`` would, without building an H×W×4 float64 array per call."""
    if cmap not in colormaps:
        raise ValueError(f"unknown colormap {cmap!r}; try one of {', '.join(COLORMAPS)}")
    values = np.asarray((heatmap + 1) / 2 if signed else heatmap)
    values = np.clip(values if values.dtype.kind == "f" else values.astype(np.float64), 0, 1)
    table = colour_table(cmap)
    entries = len(table) - 1
    scaled = np.minimum(values * entries, entries - 1)
    return table.take(np.where(np.isnan(scaled), entries, scaled).astype(np.intp), axis=0)


@functools.cache
def colour_table(cmap: str) -> np.ndarray:
    """(N + 1)×3 uint8: the N lookup-table colours of ``cmap``, then its colour for NaN."""
    colormap = colormaps[cmap]
    rgba = np.vstack([colormap(np.arange(colormap.N)), colormap(np.nan)])
    return (rgba[:, :3] * 255).round().astype(np.uint8)


def check_opacity(opacity: float) -> float:
    """``opacity`` as a float, or a ValueError unless it is a number in [0, 1] (NaN is not)."""
    if isinstance(opacity, bool) or not isinstance(opacity, (int, float)) or not 0 <= opacity <= 1:
        raise ValueError(f"the overlay opacity must be a number between 0 and 1, not {opacity!r}")
    return float(opacity)


def overlay(
    image: Image.Image | np.ndarray, heatmap: np.ndarray, cmap: str = "jet", opacity: float = 0.5, signed: bool = False
) -> Image.Image:
    """``(1 − opacity)·image + opacity·colour(heatmap)``; the heatmap must have the image's height and width.

    Where the heatmap is NaN (pixels the model did not see: outside a centre crop) the picture is shown
    "not seen": grey, ``NOT_SEEN_BRIGHTNESS × luminance``, never a colormap colour, with a white outline
    around the rectangle the model saw."""
    check_opacity(opacity)
    if isinstance(image, Image.Image) and image.mode != "RGB":  # (``convert`` copies even an RGB picture)
        image = image.convert("RGB")
    pixels = np.asarray(image)
    if pixels.shape[:2] != heatmap.shape:
        raise ValueError(f"map {heatmap.shape} does not match image {pixels.shape[:2]}")
    unseen = np.isnan(heatmap)
    blended = blend(pixels, colourise(np.where(unseen, 0, heatmap), cmap, signed), opacity)
    if unseen.any():
        blended[unseen] = not_seen(pixels[unseen].astype(np.float32)).round().clip(0, 255)
        blended[outline(unseen)] = OUTLINE_COLOUR
    return Image.fromarray(blended)


def blend(pixels: np.ndarray, colours: np.ndarray, opacity: float) -> np.ndarray:
    """uint8 ``round((1 − opacity)·pixels + opacity·colours)`` in float32. For uint8 pixels by a 256×256 table
    of every (pixel, colour) pair, computed with the same float32 arithmetic (the same result, ~3× faster)."""
    if pixels.dtype != np.uint8:
        mixed = (1 - opacity) * pixels.astype(np.float32) + opacity * colours.astype(np.float32)
        return mixed.round().clip(0, 255).astype(np.uint8)
    levels = np.arange(256, dtype=np.float32)
    table = ((1 - opacity) * levels[:, None] + opacity * levels[None, :]).round().clip(0, 255).astype(np.uint8)
    return table.ravel().take((pixels.astype(np.uint16) << 8) | colours)


def not_seen(pixels: np.ndarray) -> np.ndarray:
    """The "not seen by the model" look of N×3 pixels: grey at ``NOT_SEEN_BRIGHTNESS`` × their luminance."""
    grey = NOT_SEEN_BRIGHTNESS * (pixels @ LUMINANCE)
    return np.repeat(grey[:, None], 3, axis=1)


def outline(unseen: np.ndarray) -> np.ndarray:
    """The unseen pixels within ``OUTLINE_WIDTH`` of the seen part's bounding box: a frame drawn just outside
    the rectangle the model saw, so that it covers no map pixel."""
    seen_rows, seen_columns = np.nonzero((~unseen).any(axis=1))[0], np.nonzero((~unseen).any(axis=0))[0]
    frame = np.zeros_like(unseen)
    if seen_rows.size:
        width = max(2, round(OUTLINE_WIDTH * max(unseen.shape)))
        top, bottom = max(0, seen_rows[0] - width), seen_rows[-1] + 1 + width
        left, right = max(0, seen_columns[0] - width), seen_columns[-1] + 1 + width
        frame[top:bottom, left:right] = True
    return frame & unseen


def map_overlay(
    explanation: Explanation,
    method_id: str,
    cmap: str = "jet",
    opacity: float = 0.5,
    signed: bool = False,
    max_side: int | None = None,
) -> Image.Image:
    """One map of ``explanation`` on the uploaded picture, as the app's gallery, its compare slider and the
    export draw it: :meth:`~cam_methods.explanation.Explanation.to_image` through :func:`overlay` (a signed map
    in the diverging colormap, with zero at mid-scale; the part the model did not see greyed). ``max_side``
    shrinks picture and map first to at most that many pixels a side (fewer pixels to colour, blend and encode)."""
    picture, heatmap = explanation.picture, explanation.to_image(method_id, signed=signed)
    if max_side is not None and max(picture.size) > max_side:
        scale = max_side / max(picture.size)
        size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
        shrunk = Image.fromarray(heatmap.astype(np.float32), mode="F").resize(size, Image.Resampling.BILINEAR)
        picture, heatmap = picture.resize(size, Image.Resampling.BILINEAR), np.asarray(shrunk)
    return overlay(picture, heatmap, DIVERGING_COLORMAP if signed else cmap, opacity, signed)


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
