"""Maps that coincide, and Finer maps that come out blank: the page says so instead of showing copies.

At a layer that feeds global average pooling and a linear head, CAM, Grad-CAM, HiResCAM and XGrad-CAM give
the same map (the gradient is the same at every position), and so do their Finer variants; students who see
four identical pictures conclude the tool is broken. Identical here means equal after normalisation to
[0, 1], up to ``TOLERANCE``.
"""

from __future__ import annotations

import numpy as np

from .tiles import Tile

TOLERANCE = 1e-6
SAME_REASON = (
    "This layer feeds global average pooling and a linear head, where these methods give the same map (that is "
    "the theory, not a bug); “Show at an earlier layer” shows where they differ."
)
BLANK_REASON = "every pixel is negative after subtracting the references: try a smaller γ"


def same_map(first: Tile, second: Tile) -> bool:
    """Whether two tiles of the same prompt hold the same normalised map: ``max |a − b| < TOLERANCE``, checked
    on every 8th pixel of each axis first (a difference there settles it), then on all of them."""
    if first.explanation is not second.explanation:
        return False
    a, b = first.explanation.maps[first.method_id], second.explanation.maps[second.method_id]
    if a.shape != b.shape:
        return False
    every_8th = (slice(None, None, 8),) * a.ndim  # maps that differ do so almost everywhere: 1/64 of the work
    return all(float(np.abs(x - y).max()) < TOLERANCE for x, y in ((a[every_8th], b[every_8th]), (a, b)))


def groups(tiles: list[Tile]) -> list[list[Tile]]:
    """The tiles in page order, each with the later tiles that hold the same map (placed at the first one)."""
    placed: list[list[Tile]] = []
    for tile in tiles:
        group = next((group for group in placed if same_map(group[0], tile)), None)
        if group is None:
            placed.append([tile])
        else:
            group.append(tile)
    return placed


def is_blank(tile: Tile) -> bool:
    """A Finer map with nothing left: the references outweigh the target everywhere at this γ."""
    return tile.gamma is not None and float(tile.explanation.maps[tile.method_id].max()) < TOLERANCE
