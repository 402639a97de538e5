"""The structural similarity index (SSIM; Wang, Bovik, Sheikh and Simoncelli 2004, "Image quality assessment:
from error visibility to structural similarity") of two maps, one of the measures of Adebayo et al.'s sanity
checks, in NumPy.

For every ``w × w`` window lying wholly inside the maps (``w = 7``, uniform weights), with the window's means
μ_a, μ_b, sample variances σ_a², σ_b² and sample covariance σ_ab (divided by ``w² − 1``):

    SSIM_window = (2 μ_a μ_b + C1) (2 σ_ab + C2) / ((μ_a² + μ_b² + C1) (σ_a² + σ_b² + C2)),
    C1 = (0.01 L)²,  C2 = (0.03 L)²,

with ``L`` the data range (1 for maps in [0, 1]); the SSIM of the maps is the mean over those windows. This is
scikit-image's ``structural_similarity`` with its defaults (uniform 7 × 7 window, sample covariance, the
border windows left out). 1 means identical maps; 0 no shared structure; it can be negative.
"""

from __future__ import annotations

import numpy as np

WINDOW = 7
K1, K2 = 0.01, 0.03


def window_means(values: np.ndarray, window: int) -> np.ndarray:
    """The mean of every ``window × window`` block wholly inside ``values`` (an integral image: O(pixels))."""
    integral = np.zeros((values.shape[0] + 1, values.shape[1] + 1))
    integral[1:, 1:] = values.cumsum(axis=0).cumsum(axis=1)
    sums = (
        integral[window:, window:] - integral[:-window, window:] - integral[window:, :-window]
        + integral[:-window, :-window]
    )  # fmt: skip
    return sums / window**2


def structural_similarity(a: np.ndarray, b: np.ndarray, data_range: float = 1.0, window: int = WINDOW) -> float:
    """The mean SSIM of two 2-D maps of the same shape (see the module docstring); ``data_range`` is ``L``."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"SSIM needs two 2-D maps of the same shape, not {a.shape} and {b.shape}")
    if min(a.shape) < window:
        raise ValueError(f"SSIM needs maps of at least {window} × {window} pixels, not {a.shape[0]} × {a.shape[1]}")
    count = window**2
    mean_a, mean_b = window_means(a, window), window_means(b, window)
    unbiased = count / (count - 1)  # E[xy] − E[x]E[y] over the window, as a sample covariance
    var_a = (window_means(a * a, window) - mean_a**2) * unbiased
    var_b = (window_means(b * b, window) - mean_b**2) * unbiased
    covariance = (window_means(a * b, window) - mean_a * mean_b) * unbiased
    c1, c2 = (K1 * data_range) ** 2, (K2 * data_range) ** 2
    numerator = (2 * mean_a * mean_b + c1) * (2 * covariance + c2)
    denominator = (mean_a**2 + mean_b**2 + c1) * (var_a + var_b + c2)
    return float((numerator / denominator).mean())
