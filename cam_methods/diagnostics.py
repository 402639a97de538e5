"""Why a map is blank: one sentence for a map that is all zero, not finite, or only rounding noise, read
from the map and the capture it came from (A, the target's gradient G, the layer's grid).

The checks, in order: non-finite values (in A, in G, or in the map); a 1×1 grid; no gradient at the
layer (``G = 0``); every Grad-CAM channel weight ``α_k = mean_ij G_kij`` at most 0; a map at most 0
everywhere (the ReLU keeps nothing); a flat map (min-max keeps nothing); and a map whose terms cancel:
``max|M| < 1e-6 · K · max|A| · max|G|`` (HiResCAM at a layer that feeds a LayerNorm, whose gradient is
orthogonal to its input, so ``Σ_k G_k A_k = 0`` up to rounding).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .capture import Evidence
from .registry import MethodInfo

Tensor = torch.Tensor
CANCELLATION = 1e-6
GRADCAM_LIKE = {"gradcam"}


def diagnose(info: MethodInfo, raw: Tensor, input_map: np.ndarray, evidence: Evidence) -> str | None:
    """One sentence saying why the map of ``info`` is blank or noise, or None when it shows something."""
    A, G = evidence.activations, evidence.gradients[0]
    a_min, a_max, g_min, g_max = evidence.extremes
    on_grid = tuple(raw.shape) == tuple(A.shape[1:])  # FGVis's mask is on the input grid and ignores the layer
    uses_gradient = on_grid and info.pure is not None and info.class_specific and not info.uses_head_weights
    if on_grid and not (math.isfinite(a_min) and math.isfinite(a_max)):
        return "the layer's activations are not finite (NaN or infinity), so no map can be drawn"
    if uses_gradient and not (math.isfinite(g_min) and math.isfinite(g_max)):
        return "the gradient at this layer is not finite (NaN or infinity), so no map can be drawn"
    if not (torch.isfinite(raw).all() and np.isfinite(input_map).all()):
        return "the map is not finite (NaN or infinity) at this layer; choose another layer"
    if on_grid and A.shape[1] * A.shape[2] == 1:
        return "the layer's output is not spatial (a 1×1 grid), so the map cannot vary over the image"
    if uses_gradient and g_min == 0 == g_max:
        return "the gradient did not reach this layer: the class score does not depend on its output here"
    if float(input_map.max(initial=0.0)) == 0.0:
        return _why_nothing_is_left(info, raw, G)
    if uses_gradient and _cancels(raw, A.shape[0] * max(-a_min, a_max) * max(-g_min, g_max)):
        return (
            "the terms of this map cancel out to rounding noise at this layer (as they do where the output "
            "feeds a LayerNorm); choose another layer"
        )
    return None


def _why_nothing_is_left(info: MethodInfo, raw: Tensor, G: Tensor) -> str:
    """The sentence for an all-zero map whose raw values are finite."""
    if info.id in GRADCAM_LIKE and G.dim() == 3 and bool((G.mean(dim=(1, 2)) <= 0).all()):
        return "all channel weights are negative at this layer, so the ReLU leaves nothing; the signed view shows it"
    if float(raw.max()) <= 0:
        return "the map is negative everywhere at this layer, so the ReLU leaves nothing; the signed view shows it"
    return "the map is the same everywhere at this layer, so there is nothing to show"


def _cancels(raw: Tensor, bound: float) -> bool:
    """True when ``max|M| < 1e-6 · bound``, ``bound = K · max|A| · max|G|``: the map is what is left of cancelling
    terms."""
    return bound > 0 and float(raw.abs().max()) < CANCELLATION * bound
