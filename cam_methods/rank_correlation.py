"""Spearman rank correlation between two maps (NumPy only; SciPy is not a dependency).

    ρ = Pearson(rank(a), rank(b))

with tied values given the average of the ranks they span (``[5, 1, 5]`` → ranks ``[2.5, 1, 2.5]``), as in
``scipy.stats.spearmanr``. A constant map has no ranking, so ρ is NaN when either map is constant.
"""

from __future__ import annotations

import numpy as np


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks of the flattened ``values``; a run of k equal values starting at sorted position s
    (0-based) gets the mean rank ``s + (k + 1) / 2``."""
    _, inverse, counts = np.unique(np.ravel(values), return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    mean_rank = ends - (counts - 1) / 2.0
    return mean_rank[inverse.ravel()]


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's ρ between two same-shaped arrays (every element is one observation); NaN when either is
    constant, a ValueError when the shapes differ or a value is not finite."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"maps of shapes {a.shape} and {b.shape} cannot be compared")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("a map has NaN or infinite values; its rank correlation is undefined")
    rank_a, rank_b = average_ranks(a), average_ranks(b)
    rank_a -= rank_a.mean()
    rank_b -= rank_b.mean()
    norm = np.sqrt((rank_a**2).sum() * (rank_b**2).sum())
    return float((rank_a * rank_b).sum() / norm) if norm > 0 else float("nan")
