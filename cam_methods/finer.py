"""Finer-CAM (Zhang et al. 2025): explain ``s = y_c − γ Σ_t π_t y_{r_t}`` with any gradient-family base.

Gradients are linear in the target, so ``G(s) = G_c − γ Σ_t π_t G_{r_t}``: the per-target gradients are
captured once and a new γ is a recombination of cached tensors, with no model call. Post-ReLU maps are
never subtracted (the paper shows that is worse).

Weightings π: ``"uniform"`` (1/T, the paper's Eq. 8, default) or ``"probability"``: the references'
softmax probabilities renormalised to sum to 1 and *detached* (the official code does not detach;
detaching keeps the map linear in γ).
"""

from __future__ import annotations

import math

import torch

from .registry import METHODS, MethodInfo, on_signal, register

Tensor = torch.Tensor
WEIGHTINGS = ("uniform", "probability")
DEFAULT_GAMMA = 0.6
MAX_GAMMA = 10.0  # the paper explores γ ≤ 2; far beyond, every Finer map is the negated reference map
DEFAULT_REFERENCES = 3
MAX_REFERENCES = 50  # each reference is one more row of the capture's vectorised backward
FINER_PAPER = "Zhang et al. 2025, Finer-CAM: Spotting the Difference Reveals Finer Details for Visual Explanation"


def reference_weights(reference_probs: Tensor, weighting: str) -> Tensor:
    """π for T references: uniform 1/T, or their (detached) probabilities renormalised to sum to 1."""
    if weighting not in WEIGHTINGS:
        raise ValueError(f"finer_weighting must be one of {WEIGHTINGS}, not {weighting!r}")
    count = reference_probs.numel()
    if weighting == "uniform" or count == 0:
        return torch.full((count,), 1.0 / max(count, 1), dtype=reference_probs.dtype)
    probs = reference_probs.detach()
    return probs / probs.sum()


def check_gamma(gamma: float) -> float:
    """γ as a float, or a ValueError unless it is a finite number in [0, ``MAX_GAMMA``]."""
    if isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or not math.isfinite(gamma):
        raise ValueError(f"the Finer-CAM strength γ must be a finite number, not {gamma!r}")
    if not 0 <= gamma <= MAX_GAMMA:
        raise ValueError(f"the Finer-CAM strength γ must lie in [0, {MAX_GAMMA:g}], not {gamma:g}")
    return float(gamma)


def check_references(count: int) -> int:
    """The number of Finer-CAM references, or a ValueError unless it is an integer in 1…``MAX_REFERENCES``."""
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_REFERENCES:
        raise ValueError(f"finer_refs must be a whole number from 1 to {MAX_REFERENCES}, not {count!r}")
    return count


def combine(signals: Tensor, gamma: float, weights: Tensor) -> Tensor:
    """``signals[0] − γ Σ_t π_t signals[1 + t]``; γ = 0 returns ``signals[0]`` itself, bit for bit."""
    if gamma == 0 or len(weights) == 0:
        return signals[0]
    weights = weights.to(signals.dtype).to(signals.device)
    references = torch.tensordot(weights, signals[1 : 1 + len(weights)], dims=1)
    return signals[0] - gamma * references


def finer_id(base_id: str) -> str:
    return f"finer-{base_id}"


def register_finer_variants() -> None:
    """Register ``finer-<id>`` for every class-specific gradient-family method: its pure function applied to
    the recombined signal."""
    for base in [info for info in METHODS.values() if info.family == "gradient" and info.class_specific]:
        register(
            MethodInfo(
                id=finer_id(base.id),
                name=f"Finer-{base.name}",
                family="finer",
                paper=f"{FINER_PAPER}; base: {base.paper}",
                formula=f"{base.name} of s = y_c − γ Σ_t π_t y_rt",
                fn=on_signal(base.pure, finer=True, uses_head_weights=base.uses_head_weights),
                pure=base.pure,
                uses_head_weights=base.uses_head_weights,
                base=base.id,
            )
        )
