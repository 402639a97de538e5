"""Bootstrap confidence intervals, for the per-method means and for paired comparisons of two methods.

Percentile bootstrap (Efron 1979): draw ``resamples`` samples of the n images with replacement (seeded, so a
summary prints the same numbers every time), compute the statistic on each, and report its 2.5th and 97.5th
percentiles as the 95% interval. A paired comparison resamples images, not rows, so the two methods' values of
an image stay together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Estimate:
    """A statistic over n images with its bootstrap 95% interval [low, high]."""

    value: float
    low: float
    high: float
    n: int

    def __str__(self) -> str:
        return f"{self.value:.4f} [{self.low:.4f}, {self.high:.4f}]"


def bootstrap_mean(values: np.ndarray, resamples: int = 2000, seed: int = 0) -> Estimate:
    """The mean of ``values`` and its percentile-bootstrap 95% interval."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return Estimate(np.nan, np.nan, np.nan, 0)
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, values.size, size=(resamples, values.size))].mean(axis=1)
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return Estimate(float(values.mean()), float(low), float(high), int(values.size))


@dataclass(frozen=True)
class Comparison:
    """Method A against method B over the same images: the share of images where A is better (a tie counts
    half), and the mean of (A − B) signed so that positive means A is better; both with 95% intervals."""

    win_share: Estimate
    mean_gain: Estimate


def compare_paired(a: np.ndarray, b: np.ndarray, lower_is_better: bool, resamples: int = 2000, seed: int = 0):
    """:class:`Comparison` of paired values ``a`` and ``b`` (same images, same order)."""
    gains = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    gains = -gains if lower_is_better else gains
    wins = np.where(gains > 0, 1.0, np.where(gains < 0, 0.0, 0.5))
    return Comparison(bootstrap_mean(wins, resamples, seed), bootstrap_mean(gains, resamples, seed))
