"""Maps against each other: the signed difference, Spearman rank correlation and top-15 % IoU, for two maps
or for every pair of a panel (the agreement matrix).

For two maps A and B of the same shape (n pixels):

- difference: ``A − B``, in [−1, 1] for maps in [0, 1] (draw it with a diverging colormap, zero at mid-scale);
- Spearman: ``ρ = Pearson(rank(A), rank(B))``, ranks 1…n over the pixels with tied values given the mean of
  the ranks they span (so a map with large zero areas is ranked fairly); NaN when a map is constant;
- top-15 % IoU: ``|T(A) ∩ T(B)| / |T(A) ∪ T(B)|`` with ``T(M) = {pixels with M ≥ the ⌈0.15 n⌉-th largest
  value of M}`` (ties at that value are all kept, so the set does not depend on pixel order).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

TOP_FRACTION = 0.15
MEASURES = ("spearman", "top_iou")


@dataclass(frozen=True)
class MapComparison:
    """Two maps side by side: ``difference`` = A − B, ``spearman`` ρ and ``top_iou`` (top 15 % pixels)."""

    difference: np.ndarray
    spearman: float
    top_iou: float


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1…n of the flattened ``values``; tied values get the mean of the ranks they span."""
    flat = np.asarray(values, dtype=np.float64).ravel()
    _, inverse, counts = np.unique(flat, return_inverse=True, return_counts=True)
    last_rank = np.cumsum(counts)  # the highest rank of each distinct value, in ascending order
    return (last_rank - (counts - 1) / 2)[inverse]


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    dx, dy = x - x.mean(), y - y.mean()
    denominator = math.sqrt(float(dx @ dx) * float(dy @ dy))
    return float(dx @ dy) / denominator if denominator > 0 else math.nan


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's ρ between two maps of the same shape (NaN when either is constant)."""
    _check_pair(a, b)
    return _pearson(average_ranks(a), average_ranks(b))


def top_mask(heatmap: np.ndarray, fraction: float = TOP_FRACTION) -> np.ndarray:
    """The boolean mask of the ``fraction`` highest pixels (at least one; ties at the threshold included)."""
    if not 0 < fraction <= 1:
        raise ValueError(f"the top fraction must be in (0, 1], not {fraction!r}")
    flat = np.asarray(heatmap, dtype=np.float64).ravel()
    count = max(1, math.ceil(fraction * flat.size))
    threshold = np.partition(flat, flat.size - count)[flat.size - count]
    return np.asarray(heatmap) >= threshold


def top_iou(a: np.ndarray, b: np.ndarray, fraction: float = TOP_FRACTION) -> float:
    """Intersection over union of the two maps' top-``fraction`` pixel sets."""
    _check_pair(a, b)
    return _mask_iou(top_mask(a, fraction), top_mask(b, fraction))


def compare_maps(a: np.ndarray, b: np.ndarray) -> MapComparison:
    """The difference map and both similarity figures of maps ``a`` and ``b``."""
    _check_pair(a, b)
    difference = np.asarray(a, dtype=np.float32) - np.asarray(b, dtype=np.float32)
    return MapComparison(difference, spearman(a, b), top_iou(a, b))


def agreement_matrix(maps: Mapping[str, np.ndarray], measure: str = "spearman") -> np.ndarray:
    """The n×n matrix of ``measure`` ("spearman" or "top_iou") between every pair of ``maps`` (in order);
    symmetric, with 1 on the diagonal (NaN for Spearman on a constant map)."""
    if measure not in MEASURES:
        raise ValueError(f"unknown agreement measure {measure!r}; choose one of {', '.join(MEASURES)}")
    arrays = list(maps.values())
    for other in arrays[1:]:
        _check_pair(arrays[0], other)
    if measure == "spearman":
        keys = [average_ranks(array) for array in arrays]
        pair = _pearson
    else:
        keys = [top_mask(array).ravel() for array in arrays]
        pair = _mask_iou
    matrix = np.empty((len(arrays), len(arrays)))
    for i, first in enumerate(keys):
        for j in range(i, len(keys)):
            matrix[i, j] = matrix[j, i] = pair(first, keys[j])
    return matrix


def _mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.logical_and(a, b).sum() / np.logical_or(a, b).sum())


def _check_pair(a: np.ndarray, b: np.ndarray) -> None:
    if np.shape(a) != np.shape(b):
        raise ValueError(f"maps of different shapes cannot be compared: {np.shape(a)} and {np.shape(b)}")
