"""Anatomy of a map: Grad-CAM and HiResCAM taken apart, channel by channel, from one capture's A and G.

For activations ``A`` (K×h×w) and the target's gradient ``G = ∂y_c/∂A`` (same shape):

- Grad-CAM  = Σ_k α_k A_k        with α_k = (1/Z) Σ_ij G_kij  (one number per channel);
- HiResCAM  = Σ_k G_k ⊙ A_k      (the gradient kept at every position).

The few channels with the largest Grad-CAM terms, ``‖α_k A_k‖₂ = |α_k| ‖A_k‖₂``, are shown term by term for
both methods, and everything else is summed into one "rest" term, so that the shown terms plus the rest
are exactly each method's map before ReLU and normalisation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from cam_methods import Explanation
from cam_methods.gradient import gradcam, hirescam

SHOWN_CHANNELS = 4
BAR_CHANNELS = 16


@dataclass(frozen=True)
class Anatomy:
    """One capture taken apart; every array is float32 NumPy on the layer's h×w grid.

    ``channels``: the shown channel indices, largest term first; ``strength``: ‖α_k A_k‖₂ and ``alpha``: α_k,
    for all K channels; ``activations`` / ``gradients``: A_k and G_k of the shown channels; ``*_terms``: each
    shown channel's term; ``*_rest``: the sum of the other channels' terms; ``*_map``: the map before ReLU.
    """

    title: str
    picture: np.ndarray
    channel_count: int
    alpha: np.ndarray
    strength: np.ndarray
    channels: np.ndarray
    activations: np.ndarray
    gradients: np.ndarray
    gradcam_terms: np.ndarray
    gradcam_rest: np.ndarray
    gradcam_map: np.ndarray
    hirescam_terms: np.ndarray
    hirescam_rest: np.ndarray
    hirescam_map: np.ndarray
    coincide: bool

    def bar_channels(self, count: int = BAR_CHANNELS) -> np.ndarray:
        """The ``count`` channels with the largest Grad-CAM terms ``‖α_k A_k‖₂``, largest first."""
        return np.argsort(-self.strength, kind="stable")[:count]


def dissect(A: torch.Tensor, G: torch.Tensor, title: str, picture: np.ndarray, shown: int = SHOWN_CHANNELS) -> Anatomy:
    """Grad-CAM's and HiResCAM's terms for the ``shown`` channels with the largest terms, the rest, and the
    maps (computed by the registry's own functions, so the parts add up to what the app shows)."""
    A, G = A.detach().float().cpu(), G.detach().float().cpu()
    alpha = G.mean(dim=(1, 2))
    strength = alpha.abs() * A.flatten(1).norm(dim=1)
    channels = torch.argsort(-strength, stable=True)[:shown]
    others = torch.ones(len(alpha), dtype=torch.bool)
    others[channels] = False
    gradcam_terms = alpha[channels, None, None] * A[channels]
    hirescam_terms = G[channels] * A[channels]
    gradcam_map, hirescam_map = gradcam(A, G), hirescam(A, G)
    scale = gradcam_map.abs().max().clamp_min(torch.finfo(torch.float32).tiny)
    arrays = {
        "alpha": alpha,
        "strength": strength,
        "channels": channels,
        "activations": A[channels],
        "gradients": G[channels],
        "gradcam_terms": gradcam_terms,
        "gradcam_rest": (alpha[others, None, None] * A[others]).sum(dim=0),
        "gradcam_map": gradcam_map,
        "hirescam_terms": hirescam_terms,
        "hirescam_rest": (G[others] * A[others]).sum(dim=0),
        "hirescam_map": hirescam_map,
    }
    coincide = bool(((gradcam_map - hirescam_map).abs().max() <= 1e-4 * scale).item())
    numpy = {name: value.numpy() for name, value in arrays.items()}
    return Anatomy(title=title, picture=picture, channel_count=len(alpha), coincide=coincide, **numpy)


def of_explanation(explanation: Explanation) -> Anatomy:
    """The anatomy of an Explanation's target at its layer, from the A and G its capture holds."""
    evidence = explanation.evidence
    title = (
        f"{explanation.backbone.display_name}, layer {evidence.layer} "
        f"({tuple(evidence.activations.shape)[0]} channels on a {evidence.activations.shape[1]}×"
        f"{evidence.activations.shape[2]} grid), target \u201c{explanation.target_label}\u201d"
    )
    picture = explanation.backbone.preprocess.denormalise(explanation.input_tensor)  # what the model saw
    return dissect(evidence.activations, evidence.gradients[0], title, np.asarray(picture))
