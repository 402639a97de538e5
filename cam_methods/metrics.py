"""Faithfulness metrics of input-aligned maps: deletion and insertion AUC (RISE) and RD@5% (Finer-CAM).

Every score comes from :func:`cam_methods.scoring.score_inputs`, i.e. ``backbone.score_outputs(output, keys)``
with ``keys`` = the explanation's target and first reference (``evidence.keys[:2]``). For a classifier that
is the softmax probability of the class; for CLIP the prompt's zero-shot probability (softmax over the prompts
and the class prompts).

- Deletion (Petsiuk et al. 2018): rank the pixels by map value; step k = 0…N replaces the top
  ``round(k·H·W/N)`` pixels by ``fill`` (0 in normalised input space). Lower AUC is better.
- Insertion: start from a Gaussian-blurred copy (kernel 11, σ 5) and reveal the top pixels of the original
  in the same N steps. Higher AUC is better.
- ``AUC = (Σ_k p_k − p_0/2 − p_N/2) / N`` (trapezoidal rule over the fraction removed / revealed).
- RD@f (Finer-CAM's relative confidence drop): replace the top fraction f (5%) of pixels by ``fill``;
  ``RD = (p_c − p_c*) − (p_d − p_d*)`` with d the first (most similar) reference. Higher is better.

Ranking: ties (flat regions, such as the zeros left by the ReLU) are broken by a fixed random permutation,
so they are removed in random, not raster, order. Maps that agree within ``SAME_MAP_TOLERANCE`` everywhere
(Grad-CAM, HiResCAM and CAM at a GAP + linear head differ by float rounding only) are scored once.
The inputs of all maps (N−1 deletion steps, N−1 insertion steps and one RD input each, plus the original,
the blurred and the fully filled image shared by all) are scored together, ``batch_size`` at a time
(default: 2 on a CPU, where bigger batches are slower per image, 32 on a GPU; see :func:`.scoring.batch_size_on`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from model_zoo import Backbone

from .scoring import batch_size_on, report, score_inputs

Tensor = torch.Tensor
SAME_MAP_TOLERANCE = 1e-5
TIE_BREAK_SEED = 0


@dataclass(frozen=True)
class MetricSettings:
    """The metric parameters: ``steps`` N, the RD fraction, the fill value and the insertion blur."""

    steps: int = 25
    rd_fraction: float = 0.05
    fill: float = 0.0
    blur_kernel: int = 11
    blur_sigma: float = 5.0

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError("steps must be at least 1")
        if not 0 <= self.rd_fraction <= 1:
            raise ValueError("rd_fraction must lie in [0, 1]")
        if self.blur_kernel < 1 or self.blur_kernel % 2 == 0:
            raise ValueError("blur_kernel must be a positive odd number")


@dataclass(frozen=True)
class Faithfulness:
    """One map's metrics. ``deletion[k]`` / ``insertion[k]`` are the target's scores after removing /
    revealing the fraction ``fractions[k]`` of pixels; ``relative_drop`` = ``target_drop − reference_drop``
    (NaN when the explanation has no reference)."""

    fractions: np.ndarray
    deletion: np.ndarray
    insertion: np.ndarray
    deletion_auc: float
    insertion_auc: float
    relative_drop: float
    target_drop: float
    reference_drop: float

    def summary(self) -> dict[str, float]:
        return {"deletion_auc": self.deletion_auc, "insertion_auc": self.insertion_auc, "rd": self.relative_drop}


def curve_auc(scores: Sequence[float] | np.ndarray | Tensor) -> float:
    """``(Σ_k p_k − p_0/2 − p_N/2) / N`` for the N+1 scores p_0…p_N."""
    values = torch.as_tensor(scores, dtype=torch.float64)
    if values.numel() < 2:
        raise ValueError("a curve needs at least two points")
    steps = values.numel() - 1
    return float((values.sum() - values[0] / 2 - values[-1] / 2) / steps)


def gaussian_blur(x: Tensor, kernel_size: int = 11, sigma: float = 5.0) -> Tensor:
    """Separable Gaussian blur of a B×C×H×W tensor, weights ``exp(−t²/2σ²)`` normalised, reflect padding."""
    half = kernel_size // 2
    offsets = torch.arange(kernel_size, dtype=x.dtype, device=x.device) - half
    weights = torch.exp(-(offsets**2) / (2 * sigma**2))
    weights = weights / weights.sum()
    channels = x.shape[1]
    padded = F.pad(x, (half, half, half, half), mode="reflect")
    rows = F.conv2d(padded, weights.view(1, 1, 1, -1).expand(channels, 1, 1, -1), groups=channels)
    return F.conv2d(rows, weights.view(1, 1, -1, 1).expand(channels, 1, -1, 1), groups=channels)


def pixel_ranks(input_map: Tensor | np.ndarray) -> Tensor:
    """Rank of every pixel (0 = largest map value), flattened; ties broken by a seeded random permutation."""
    values = torch.from_numpy(as_array(input_map)).flatten()
    generator = torch.Generator().manual_seed(TIE_BREAK_SEED)
    shuffle = torch.randperm(values.numel(), generator=generator)
    order = shuffle[torch.argsort(values[shuffle], descending=True, stable=True)]
    ranks = torch.empty_like(order)
    ranks[order] = torch.arange(order.numel())
    return ranks


def as_array(input_map: Tensor | np.ndarray) -> np.ndarray:
    """A map as a float32 NumPy array, wherever its tensor lives."""
    if isinstance(input_map, Tensor):
        return input_map.detach().float().cpu().numpy()
    return np.asarray(input_map, dtype=np.float32)


def step_counts(pixels: int, steps: int) -> Tensor:
    """``round(k·pixels/N)`` for k = 0…N: how many top pixels step k removes or reveals."""
    return (torch.arange(steps + 1) * pixels + steps // 2) // steps


def faithfulness(
    backbone: Backbone,
    input_tensor: Tensor,
    maps: Mapping[str, Tensor | np.ndarray],
    keys: Sequence[Hashable],
    settings: MetricSettings | None = None,
    batch_size: int | None = None,
    progress: Callable[[float, str], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> dict[str, Faithfulness]:
    """Deletion / insertion curves and AUCs and RD for every input-aligned H×W map in ``maps``.

    ``keys[0]`` is the explained target, ``keys[1]`` (optional) the RD reference d. All maps' inputs are
    scored in shared batches; maps that agree within ``SAME_MAP_TOLERANCE`` share theirs.
    """
    settings = settings or MetricSettings()
    if not maps:
        return {}
    height, width = input_tensor.shape[-2:]
    arrays = [as_array(input_map) for input_map in maps.values()]
    misfits = [method_id for method_id, array in zip(maps, arrays, strict=True) if array.shape != (height, width)]
    if misfits:
        raise ValueError(f"maps {', '.join(misfits)} are not aligned with the {height}×{width} input")
    batch_size = batch_size_on(input_tensor.device, batch_size)
    distinct, map_row = _distinct_maps(arrays)
    ranks = torch.stack([pixel_ranks(input_map) for input_map in distinct])
    plan = _ProbePlan(len(distinct), height * width, settings)
    scores = _score_probes(backbone, input_tensor, ranks, plan, keys[:2], settings, batch_size, progress, cancel)
    results = [plan.results(scores, row) for row in range(len(distinct))]
    return {method_id: results[row] for method_id, row in zip(maps, map_row, strict=True)}


def _distinct_maps(input_maps: list[np.ndarray]) -> tuple[list[np.ndarray], list[int]]:
    """The maps that differ by more than ``SAME_MAP_TOLERANCE`` somewhere, and which of them each map uses."""
    distinct: list[np.ndarray] = []
    rows = []
    for input_map in input_maps:
        same = [row for row, seen in enumerate(distinct) if np.abs(seen - input_map).max() <= SAME_MAP_TOLERANCE]
        if not same:
            distinct.append(input_map)
        rows.append(same[0] if same else len(distinct) - 1)
    return distinct, rows


class _ProbePlan:
    """Which inputs to score. Probe p replaces the pixels ranked below ``counts[p]`` in ranking ``rows[p]``:
    by ``fill`` (deletion, RD) or, when ``inserts[p]``, reveals them on the blurred copy.

    Probes 0, 1, 2 are shared: the original, the blurred copy and the fully filled input. Then, per ranking,
    deletion steps 1…N−1, insertion steps 1…N−1 and the RD input.
    """

    ORIGINAL, BLURRED, FILLED = 0, 1, 2

    def __init__(self, n_rankings: int, pixels: int, settings: MetricSettings) -> None:
        self.steps = settings.steps
        inner = step_counts(pixels, settings.steps)[1:-1]
        rd_count = torch.tensor([round(settings.rd_fraction * pixels)])
        per_ranking = torch.cat([inner, inner, rd_count])
        kinds = torch.cat([torch.zeros(len(inner)), torch.ones(len(inner)), torch.zeros(1)]).bool()
        self.stride = len(per_ranking)
        shared_rows = torch.zeros(3, dtype=torch.long)
        self.rows = torch.cat([shared_rows, torch.arange(n_rankings).repeat_interleave(self.stride)])
        self.counts = torch.cat([torch.tensor([0, 0, pixels]), per_ranking.repeat(n_rankings)])
        self.inserts = torch.cat([torch.tensor([False, True, False]), kinds.repeat(n_rankings)])

    def __len__(self) -> int:
        return len(self.rows)

    def results(self, scores: Tensor, row: int) -> Faithfulness:
        """Assemble one ranking's curves from the P×T probe scores (column 0 target, column 1 reference)."""
        start = 3 + row * self.stride
        inner = self.steps - 1
        target = scores[:, 0].double()
        deletion = torch.cat([target[[self.ORIGINAL]], target[start : start + inner], target[[self.FILLED]]])
        insertion = torch.cat(
            [target[[self.BLURRED]], target[start + inner : start + 2 * inner], target[[self.ORIGINAL]]]
        )
        rd_index = start + 2 * inner
        target_drop = float(target[self.ORIGINAL] - target[rd_index])
        if scores.shape[1] > 1:
            reference_drop = float(scores[self.ORIGINAL, 1].double() - scores[rd_index, 1].double())
        else:
            reference_drop = math.nan
        return Faithfulness(
            fractions=np.linspace(0.0, 1.0, self.steps + 1),
            deletion=deletion.numpy(),
            insertion=insertion.numpy(),
            deletion_auc=curve_auc(deletion),
            insertion_auc=curve_auc(insertion),
            relative_drop=target_drop - reference_drop,
            target_drop=target_drop,
            reference_drop=reference_drop,
        )


def _score_probes(
    backbone: Backbone,
    x: Tensor,
    ranks: Tensor,
    plan: _ProbePlan,
    keys: Sequence[Hashable],
    settings: MetricSettings,
    batch_size: int,
    progress: Callable[[float, str], None] | None,
    cancel: Callable[[], bool] | None,
) -> Tensor:
    """Build the probes ``batch_size`` at a time (never all at once) and score them: P×T."""
    blurred = gaussian_blur(x, settings.blur_kernel, settings.blur_sigma)
    filled = torch.full_like(x, settings.fill)
    ranks = ranks.to(x.device)
    height, width = x.shape[-2:]
    chunks = []
    for start in range(0, len(plan), batch_size):
        stop = min(start + batch_size, len(plan))
        counts = plan.counts[start:stop].to(x.device)
        inserts = plan.inserts[start:stop].to(x.device).view(-1, 1, 1, 1)
        replaced = (ranks[plan.rows[start:stop].to(x.device)] < counts[:, None]).view(-1, 1, height, width)
        kept = torch.where(inserts, blurred, x)
        replacement = torch.where(inserts, x, filled)
        inputs = torch.where(replaced, replacement, kept)
        chunks.append(score_inputs(backbone, inputs, keys, batch_size=len(inputs), cancel=cancel))
        report(progress, stop / len(plan), f"scoring faithfulness: {stop}/{len(plan)} inputs")
    return torch.cat(chunks)
