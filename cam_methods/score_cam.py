"""Score-CAM, Abs-CAM phase 2 and Finer-Score-CAM: channel masks scored by extra, batched forward passes.

All three share one set of masked inputs. For a channel k of the layer activations A (K×h×w):

    H_k = minmax(Up(A_k))            (Up: bilinear to the input size H×W; constant channels are skipped)
    x_k = x ⊙ H_k                    (zeros, i.e. the mean colour, where the mask is 0)

and the backbone scores every ``x_k`` for the target and its Finer references at once
(``backbone.score_outputs``: softmax probabilities for a classifier), ``batch_size`` images per forward
pass. The per-channel scores are kept in ``context.cache``, so Score-CAM, Abs-CAM and Finer-Score-CAM in
one request, and every later Finer strength γ, reuse them without another model call.

Channel cap: only the ``max_channels`` channels with the largest ``β_k = (1/Z) Σ_ij |G_kij|`` (Abs-CAM's
phase-1 weight of the target's gradient) are scored. The default, 128, keeps Score-CAM at a few seconds
for the bundled EfficientNet-Lite0 (1280 channels at its default layer) on a CPU; ``max_channels=None``
scores every non-constant channel, as the papers do.

Batch size and execution path: ``batch_size=None`` (default) means the size the backbone's scorer measured
(:func:`.scoring.scorer_for`; see docs/throughput.md); a number overrides the size, not the measured path.

Baseline: with ``subtract_baseline=True`` every score has the score of the baseline input (all zeros)
subtracted first, as in the Score-CAM paper's "increase of confidence".

Maps are returned on the layer grid: ``Up`` is linear and keeps constants, so ``Σ_k s_k Up(A_k) =
Up(Σ_k s_k A_k)`` and ``Σ_k s_k H_k = Up(Σ_k s_k (A_k − lo_k) / (hi_k − lo_k))`` with ``lo_k, hi_k`` the
min and max of ``Up(A_k)``. The shared post-processing (ReLU, min-max, upsampling) then applies as to
every other map.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .context import MapContext
from .finer import FINER_PAPER, combine, finer_id
from .gradient import weighted_sum
from .registry import context_method
from .scoring import score_inputs, scorer_for

Tensor = torch.Tensor
DEFAULT_MAX_CHANNELS = 128
CONSTANT_TOLERANCE = 1e-6
SCORECAM_PAPER = "Wang et al. 2020, Score-CAM: Score-Weighted Visual Explanations for CNNs"
SCORES_KEY = "perturbation:channel_scores"
BASELINE_KEY = "perturbation:baseline_scores"


@dataclass(frozen=True)
class MaskSettings:
    """Score-CAM / Abs-CAM options (``explain(..., options={"scorecam": {...}})``); see the module docstring."""

    max_channels: int | None = DEFAULT_MAX_CHANNELS
    batch_size: int | None = None
    subtract_baseline: bool = False

    def __post_init__(self) -> None:
        if self.max_channels is not None and self.max_channels < 1:
            raise ValueError("max_channels must be at least 1 (or None for every channel)")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError("batch_size must be at least 1 (or None for the measured size)")


def channel_spans(A: Tensor) -> Tensor:
    """``max − min`` of each channel of A (K×h×w) relative to its largest magnitude (0 for a flat channel)."""
    flat = A.flatten(1)
    scale = flat.abs().amax(dim=1)
    span = flat.amax(dim=1) - flat.amin(dim=1)
    return torch.where(scale > 0, span / torch.where(scale > 0, scale, 1), 0)


def select_channels(A: Tensor, beta: Tensor, max_channels: int | None) -> Tensor:
    """Indices of the non-constant channels of A, ordered by decreasing ``beta``, at most ``max_channels``."""
    candidates = torch.nonzero(channel_spans(A) > CONSTANT_TOLERANCE).flatten()
    order = torch.argsort(beta[candidates], descending=True, stable=True)
    return candidates[order][:max_channels]


def channel_masks(A: Tensor, size: tuple[int, int]) -> tuple[Tensor, Tensor, Tensor]:
    """``H_k = minmax(Up(A_k))`` for every channel of A (n×h×w): masks n×H×W, and the min and max (n) of Up(A_k).

    ``Up`` is the shared post-processing's bilinear upsampling, applied to all n channels at once."""
    upsampled = F.interpolate(A.float()[:, None], size=size, mode="bilinear", align_corners=False)[:, 0]
    low, high = torch.aminmax(upsampled.flatten(1), dim=1)
    span = (high - low).clamp_min(torch.finfo(upsampled.dtype).tiny)
    return upsampled.sub_(low[:, None, None]).div_(span[:, None, None]), low, high  # in place: no n×H×W copies


def masked_scores(context: MapContext, channels: Tensor, settings: MaskSettings, message: str) -> Tensor:
    """Scores (n×T) of ``x ⊙ H_k`` for ``channels`` and every key of the evidence (target first).

    Channels scored before, by any method of this explanation, come from ``context.cache``."""
    cache: dict[int, Tensor] = context.cache.setdefault(SCORES_KEY, {})
    missing = [int(k) for k in channels if int(k) not in cache]
    x, activations = context.input_tensor, context.evidence.activations

    def masked(start: int, stop: int) -> Tensor:
        masks, _, _ = channel_masks(activations[missing[start:stop]], tuple(x.shape[-2:]))
        return x * masks[:, None].to(x.dtype)

    scores = scorer_for(context.backbone).score_built(
        len(missing), masked, context.evidence.keys, x.shape[1:], settings.batch_size,
        context.cancel, context.progress, f"{message}: masked images",
    )  # fmt: skip
    cache.update(zip(missing, scores, strict=True))
    if not len(channels):
        return torch.zeros(0, len(context.evidence.keys))
    scores = torch.stack([cache[int(k)] for k in channels])
    return scores - baseline_scores(context, context.evidence.keys) if settings.subtract_baseline else scores


def baseline_scores(context: MapContext, keys: tuple[Hashable, ...]) -> Tensor:
    """The scores (T) of the all-zero baseline input, computed once per explanation."""
    if BASELINE_KEY not in context.cache:
        baseline = torch.zeros_like(context.input_tensor)
        context.cache[BASELINE_KEY] = score_inputs(context.backbone, baseline, keys, cancel=context.cancel)[0]
    return context.cache[BASELINE_KEY]


def target_beta(context: MapContext) -> Tensor:
    """``β_k = (1/Z) Σ_ij |G_kij|`` for the target's gradient."""
    return context.evidence.gradients[0].abs().mean(dim=(1, 2))


def score_weights(scores: Tensor, context: MapContext, gamma: float) -> Tensor:
    """``s_k = y_c,k − γ Σ_t π_t y_rt,k`` from the n×T per-mask scores (γ = 0 gives column 0 bit for bit)."""
    return combine(scores.T, gamma, context.reference_weights)


def scorecam_map(context: MapContext, settings: MaskSettings, gamma: float, message: str) -> Tensor:
    """``Σ_k s_k A_k`` over the selected channels (upsampled by the shared post-processing)."""
    A = context.evidence.activations
    channels = select_channels(A, target_beta(context), settings.max_channels)
    weights = score_weights(masked_scores(context, channels, settings, message), context, gamma)
    return weighted_sum(weights.to(A.dtype), A[channels])


@context_method(
    "scorecam", "Score-CAM", "perturbation", SCORECAM_PAPER, "Σ_k s_k Up(A_k),  s_k = p_c(x ⊙ minmax(Up(A_k)))"
)
def scorecam(context: MapContext) -> Tensor:
    """Score-CAM: ``Σ_k s_k Up(A_k)`` with ``s_k = p_c(x ⊙ H_k)`` (minus ``p_c(b)`` when
    ``subtract_baseline``), ``H_k = minmax(Up(A_k))``, over the ``max_channels`` non-constant channels
    with the largest ``β_k = (1/Z) Σ_ij |G_kij|``."""
    return scorecam_map(context, context.settings(MaskSettings, "scorecam"), 0.0, "Score-CAM")


@context_method(
    finer_id("scorecam"),
    "Finer-Score-CAM",
    "finer",
    f"{FINER_PAPER}; base: {SCORECAM_PAPER}",
    "Score-CAM with s_k = p_c(x ⊙ H_k) − γ Σ_t π_t p_rt(x ⊙ H_k)",
    base="scorecam",
)
def finer_scorecam(context: MapContext) -> Tensor:
    """Finer-Score-CAM: Score-CAM with ``s_k = p_c(x ⊙ H_k) − γ Σ_t π_t p_rt(x ⊙ H_k)`` (π from ``finer_weighting``;
    uniform is the mean over the references). The per-mask scores are cached, so a new γ needs no model call; γ = 0 is
    Score-CAM bit for bit. Options: those of ``scorecam``, overridden by ``finer-scorecam``'s."""
    settings = context.settings(MaskSettings, "scorecam", "finer-scorecam")
    return scorecam_map(context, settings, context.gamma, "Finer-Score-CAM")


@context_method(
    "abscam",
    "Abs-CAM",
    "perturbation",
    "Zeng et al. 2022, Abs-CAM (phase 2: our reading, see docs/slow_methods.md)",
    "Σ_k s_k H_k,  H_k = minmax(Up(β_k A_k)),  s_k = p_c(x ⊙ H_k),  β_k = (1/Z) Σ_ij |G_kij|",
)
def abscam(context: MapContext) -> Tensor:
    """Abs-CAM, phases 1 and 2: ``Σ_k s_k H_k`` with ``H_k = minmax(Up(β_k A_k))``, ``β_k = (1/Z) Σ_ij |G_kij|``
    and ``s_k = p_c(x ⊙ H_k)``, over the ``max_channels`` channels with the largest ``β_k > 0``.

    This is our reading of the paper's "linearly combines the initial saliency map with the original
    image" (its full text was not available to us; see docs/slow_methods.md): phase 1's channel terms ``β_k A_k`` become
    masks, the masked images are re-scored as in Score-CAM, and the scores weight the masks. Because
    ``β_k > 0``, ``minmax(Up(β_k A_k)) = minmax(Up(A_k))``: the masked images are Score-CAM's, and their
    cached scores are shared. Phase 1 alone is the method ``abscam1``."""
    settings = context.settings(MaskSettings, "abscam")
    A, beta = context.evidence.activations, target_beta(context)
    channels = select_channels(A, beta, None)
    channels = channels[beta[channels] > 0][: settings.max_channels]
    scores = masked_scores(context, channels, settings, "Abs-CAM")[:, 0]
    _, low, high = channel_masks(A[channels], tuple(context.input_tensor.shape[-2:]))
    span = (high - low).clamp_min(torch.finfo(low.dtype).tiny)
    shifted = A[channels].float() - low[:, None, None]
    return weighted_sum(scores / span, shifted)
