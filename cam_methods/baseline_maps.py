"""Reference maps that know nothing about the model, scored like any method so every number has a baseline.

- ``random``: independent uniform values in [0, 1] per pixel, from a fixed seed (the same map every time).
- ``centre``: the centre Gaussian ``exp(−((y − c_y)² + (x − c_x)²) / 2σ²)`` with σ = ``CENTRE_SIGMA`` × the
  shorter side, which already scores well on photos whose object sits in the middle (a "centre bias" check).
"""

from __future__ import annotations

import numpy as np

RANDOM_SEED = 0
CENTRE_SIGMA = 0.25
BASELINE_NAMES = {"baseline:random": "random map (baseline)", "baseline:centre": "centre Gaussian (baseline)"}


def random_map(height: int, width: int, seed: int = RANDOM_SEED) -> np.ndarray:
    """An H×W float32 map of seeded uniform noise in [0, 1)."""
    return np.random.default_rng(seed).random((height, width), dtype=np.float32)


def centre_gaussian(height: int, width: int, sigma: float = CENTRE_SIGMA) -> np.ndarray:
    """An H×W float32 Gaussian bump at the image centre, peak 1, std ``sigma`` × min(H, W) pixels."""
    ys = np.arange(height, dtype=np.float64) - (height - 1) / 2
    xs = np.arange(width, dtype=np.float64) - (width - 1) / 2
    spread = 2 * (sigma * min(height, width)) ** 2
    return np.exp(-(ys[:, None] ** 2 + xs[None, :] ** 2) / spread).astype(np.float32)


def baseline_maps(height: int, width: int) -> dict[str, np.ndarray]:
    """The baseline maps by id (``baseline:random``, ``baseline:centre``), aligned with an H×W input."""
    return {"baseline:random": random_map(height, width), "baseline:centre": centre_gaussian(height, width)}
