"""The pointing game (Zhang et al. 2016, "Top-down Neural Attention by Excitation Backprop"): does a map's
maximum fall on the object? Used to check localisation against boxes or masks."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import torch

from .metrics import as_array

Tensor = torch.Tensor
POINTING_TOLERANCE = 15.0


def pointing_game(
    saliency: Tensor | np.ndarray,
    boxes: Iterable[tuple[float, float, float, float]] = (),
    mask: np.ndarray | None = None,
    tolerance: float = POINTING_TOLERANCE,
) -> bool:
    """A hit when the map's maximum (first one in raster order) lies within ``tolerance`` px of a box or mask.

    ``boxes`` are (x0, y0, x1, y1) in the map's pixel frame, x1/y1 exclusive; ``mask`` is an H×W boolean
    array. Distance from the maximum (x, y) to a box: ``√(dx² + dy²)`` with ``dx = max(x0 − x, 0, x − x1 + 1)``.
    A map with no positive value points nowhere and misses.
    """
    values = as_array(saliency)
    if values.max() <= 0:
        return False
    y, x = np.unravel_index(int(np.argmax(values)), values.shape)
    for x0, y0, x1, y1 in boxes:
        dx = max(x0 - x, 0, x - x1 + 1)
        dy = max(y0 - y, 0, y - y1 + 1)
        if math.hypot(dx, dy) <= tolerance:
            return True
    if mask is None:
        return False
    rows, cols = np.nonzero(np.asarray(mask, dtype=bool))
    return bool(rows.size) and float(np.min((rows - y) ** 2 + (cols - x) ** 2)) <= tolerance**2
