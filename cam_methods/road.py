"""ROAD: remove and debias (Rong et al. 2022, "A Consistent and Efficient Evaluation Strategy for Attribution
Methods", ICML), with noisy linear imputation.

Removed pixels are not set to a constant (an input the model never saw, which rewards maps for the *shape* of
the hole) but imputed from their surroundings: every removed pixel i takes the weighted average of its 8
neighbours j (direct neighbours weight 1/6, diagonal ones 1/12, only those inside the image),

    x_i = Σ_j w_ij x_j / Σ_j w_ij        for every removed i,

where a neighbour j may itself be removed; kept pixels are fixed. Multiplied by d_i = Σ_j w_ij this is the
sparse linear system ``(D − W)_UU x_U = W_UK x_K`` over the removed pixels U, with the kept pixels K on the
right: symmetric and positive definite whenever every hole touches a kept pixel, so it is solved by
**conjugate gradients** (matrix-free: W is a 3×3 convolution), ``iterations`` steps (exact for a single
removed pixel after one step). CG fixes the fill near a hole's edge within a few steps but needs about as many
steps as the hole is wide to carry information to its middle, so it starts from the same problem solved at
half the size (recursively, down to ``COARSEST`` px; a cascadic multigrid), which costs a third more steps
in all and carries the fill across wide holes. :func:`road_scores` imputes all its inputs (every map, curve and
fraction) as one batch: each image plane keeps its own CG step sizes (the sums run over that plane's pixels
only), so the batch gives every image its one-at-a-time solution, in far fewer, larger convolutions. Then
Gaussian noise of std ``noise`` (in the normalised input space) is added to the imputed pixels, with a fixed
seed, so the hole's shape cannot be read from an unnaturally smooth fill.

Curves, at the removal fractions ``fractions`` p (default 10, 30, 50, 70, 90 %):
- MoRF (most relevant first): impute the top ``round(p·H·W)`` pixels of the map. Lower is better.
- LeRF (least relevant first): impute the bottom ``round(p·H·W)`` pixels. Higher is better.
One score per map: ``road_morf`` / ``road_lerf`` = the mean score over the fractions, and
``road_gap = road_lerf − road_morf`` (higher is better; 0 for a map that knows nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from model_zoo import Backbone

from .scoring import check_cancel, report, scorer_for

Tensor = torch.Tensor
NOISE_SEED = 0
COARSEST = 16
IMPUTE_BATCH = 64  # inputs per batched solve: its CG holds about 10 copies of them
IMPUTE_SHARE = 0.5  # of ROAD's progress bar


@dataclass(frozen=True)
class RoadSettings:
    """The removal fractions, the imputation noise (std, normalised input space) and the CG iterations."""

    fractions: tuple[float, ...] = (0.1, 0.3, 0.5, 0.7, 0.9)
    noise: float = 0.01
    iterations: int = 10

    def __post_init__(self) -> None:
        if not self.fractions or any(not 0 < p < 1 for p in self.fractions):
            raise ValueError("ROAD fractions must be a non-empty list of numbers strictly between 0 and 1")
        if self.noise < 0 or self.iterations < 1:
            raise ValueError("ROAD noise must be ≥ 0 and iterations ≥ 1")


@dataclass(frozen=True)
class RoadScores:
    """One map's ROAD curves (``morf[k]`` / ``lerf[k]`` at ``fractions[k]``) and their means."""

    fractions: np.ndarray
    morf: np.ndarray
    lerf: np.ndarray

    @property
    def road_morf(self) -> float:
        return float(self.morf.mean())

    @property
    def road_lerf(self) -> float:
        return float(self.lerf.mean())

    @property
    def road_gap(self) -> float:
        return self.road_lerf - self.road_morf


def neighbour_kernel(dtype: torch.dtype, device: torch.device) -> Tensor:
    """The 3×3 weights w: 1/6 for the 4 direct neighbours, 1/12 for the 4 diagonal ones, 0 at the centre."""
    kernel = torch.tensor([[1 / 12, 1 / 6, 1 / 12], [1 / 6, 0.0, 1 / 6], [1 / 12, 1 / 6, 1 / 12]], dtype=dtype)
    return kernel.to(device).view(1, 1, 3, 3)


def _neighbour_sum(x: Tensor, kernel: Tensor) -> Tensor:
    """``Σ_j w_ij x_j`` for every pixel of every (image, channel) plane; pixels outside the image count as 0."""
    planes = x.reshape(-1, 1, *x.shape[-2:])
    return F.conv2d(planes, kernel, padding=1).reshape(x.shape)


def coarse_start(x: Tensor, kept: Tensor, iterations: int) -> Tensor:
    """A start for the solve at full size: the same problem at half size (2×2 blocks: the mean of their kept
    pixels, removed when none is kept), solved by :func:`linear_impute` (itself started one level coarser),
    upsampled bilinearly. Below ``COARSEST`` px, the mean of the kept pixels of each plane."""
    if min(x.shape[-2:]) < 2 * COARSEST:
        return (x * kept).sum((-2, -1), keepdim=True) / kept.sum((-2, -1), keepdim=True).clamp(min=1)
    pooled_kept = F.avg_pool2d(kept, 2, ceil_mode=True)
    pooled = F.avg_pool2d(x * kept, 2, ceil_mode=True) / pooled_kept.clamp(min=1e-6)
    coarse = linear_impute(pooled, pooled_kept[:, :1] == 0, iterations)
    return F.interpolate(coarse, size=x.shape[-2:], mode="bilinear", align_corners=False)


def linear_impute(x: Tensor, removed: Tensor, iterations: int = 10) -> Tensor:
    """``x`` (B×C×H×W) with the pixels where ``removed`` (B×1×H×W, bool) is True replaced by the solution of
    ``x_i = Σ_j w_ij x_j / Σ_j w_ij`` (conjugate gradients, ``iterations`` steps); kept pixels unchanged."""
    x = x.float()
    kernel = neighbour_kernel(x.dtype, x.device)
    hole = removed.expand_as(x).to(x.dtype)
    kept = 1 - hole
    degree = _neighbour_sum(torch.ones_like(x), kernel)

    def apply(v: Tensor) -> Tensor:  # (D − W)_UU v, for v zero outside the hole
        return hole * (degree * v - _neighbour_sum(v, kernel))

    solution = hole * coarse_start(x, kept, iterations)
    residual = hole * _neighbour_sum(x * kept, kernel) - apply(solution)
    direction = residual.clone()
    rr = (residual * residual).sum((-2, -1), keepdim=True)
    for _ in range(iterations):
        a_direction = apply(direction)
        curvature = (direction * a_direction).sum((-2, -1), keepdim=True)
        step = torch.where(curvature > 0, rr / curvature.clamp(min=1e-30), torch.zeros_like(rr))
        solution = solution + step * direction
        residual = residual - step * a_direction
        rr_next = (residual * residual).sum((-2, -1), keepdim=True)
        direction = residual + torch.where(rr > 0, rr_next / rr.clamp(min=1e-30), torch.zeros_like(rr)) * direction
        rr = rr_next
    return x * kept + solution


def noisy_linear_impute(
    x: Tensor, removed: Tensor, noise: float = 0.01, iterations: int = 10, seeds: Sequence[int] | None = None
) -> Tensor:
    """:func:`linear_impute` plus Gaussian noise of std ``noise`` on the imputed pixels, in ``x``'s dtype; image b
    draws its noise from seed ``seeds[b]`` (default ``NOISE_SEED`` for all)."""
    imputed = linear_impute(x, removed, iterations).to(x.dtype)
    seeds = [NOISE_SEED] * len(x) if seeds is None else seeds
    jitter = torch.stack(
        [torch.randn(x.shape[1:], generator=torch.Generator().manual_seed(seed), dtype=x.dtype) for seed in seeds]
    )
    return torch.where(removed.expand_as(x), imputed + noise * jitter.to(x.device), imputed)


def road_scores(
    backbone: Backbone,
    input_tensor: Tensor,
    ranks: Sequence[Tensor],
    keys: Sequence[Hashable],
    settings: RoadSettings | None = None,
    batch_size: int | None = None,
    progress: Callable[[float, str], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> list[RoadScores]:
    """MoRF and LeRF curves of the target ``keys[0]`` for each pixel ranking (0 = most relevant; see
    :func:`.metrics.pixel_ranks`). Every (ranking, curve, fraction) input is imputed in one batched solve (at
    most ``IMPUTE_BATCH`` inputs per solve), then all are scored in one scorer call, ``batch_size`` at a time
    (None: the scorer's plan). Every map gets the same noise at the same (curve, fraction), so maps differ by
    their ranking only."""
    settings = settings or RoadSettings()
    pixels = input_tensor.shape[-2] * input_tensor.shape[-1]
    counts = [round(p * pixels) for p in settings.fractions]
    probes = [(row, count, most) for row in range(len(ranks)) for most in (True, False) for count in counts]
    seeds = [NOISE_SEED + step for _ in ranks for step in range(2 * len(counts))]
    imputed = []
    for start in range(0, len(probes), IMPUTE_BATCH):
        check_cancel(cancel)
        chunk = probes[start : start + IMPUTE_BATCH]
        removed = torch.stack(
            [ranks[row] < count if most else ranks[row] >= pixels - count for row, count, most in chunk]
        ).view(len(chunk), 1, *input_tensor.shape[-2:])
        x = input_tensor.expand(len(chunk), -1, -1, -1)
        seeded = seeds[start : start + IMPUTE_BATCH]
        imputed.append(noisy_linear_impute(x, removed.to(x.device), settings.noise, settings.iterations, seeded))
        done = start + len(chunk)
        report(progress, IMPUTE_SHARE * done / len(probes), f"ROAD: imputed {done}/{len(probes)} inputs")
    inputs = torch.cat(imputed)
    scoring = None if progress is None else lambda f, m: progress(IMPUTE_SHARE + (1 - IMPUTE_SHARE) * f, m)
    scores = scorer_for(backbone).score(
        inputs, keys[:1], batch_size=batch_size, cancel=cancel, progress=scoring, message="ROAD: scored inputs"
    )
    curves = scores[:, 0].double().view(len(ranks), 2, len(counts)).cpu().numpy()
    fractions = np.asarray(settings.fractions, dtype=np.float64)
    return [RoadScores(fractions, morf, lerf) for morf, lerf in curves]
