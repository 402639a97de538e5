"""The shared-pass methods: each is a pure function of the activations A and a gradient G of one capture.

Shapes: ``A`` and ``G`` are K×h×w (K channels on an h×w grid), Z = h·w; every function returns the
h×w map *before* post-processing (ReLU, min-max, upsampling happen in :mod:`cam_methods.postprocess`).
Formulas follow the papers named in each registration; Eigen-CAM uses A alone (family ``activation``).
"""

from __future__ import annotations

import torch

from .registry import gradient_method

Tensor = torch.Tensor
XGRAD_EPS = 1e-7


def weighted_sum(weights: Tensor, A: Tensor) -> Tensor:
    """Σ_k w_k A_k for a K-vector of channel weights."""
    return torch.einsum("k,khw->hw", weights, A)


@gradient_method(
    "cam",
    "CAM",
    "Zhou et al. 2016, Learning Deep Features for Discriminative Localization",
    "Σ_k w_ck A_k (w: FC weights after global average pooling)",
    uses_head_weights=True,
)
def cam(A: Tensor, w: Tensor) -> Tensor:
    """CAM: ``Σ_k w_ck A_k``, where ``w`` (K) is the class's row of the FC layer after GAP.

    Only defined when the layer feeds a global-average-pool + single linear head.
    """
    return weighted_sum(w, A)


@gradient_method(
    "gradcam",
    "Grad-CAM",
    "Selvaraju et al. 2017, Grad-CAM: Visual Explanations from Deep Networks",
    "Σ_k α_k A_k,  α_k = (1/Z) Σ_ij G_kij",
)
def gradcam(A: Tensor, G: Tensor) -> Tensor:
    """Grad-CAM: ``Σ_k α_k A_k`` with ``α_k = (1/Z) Σ_ij G_kij`` (spatially averaged gradient)."""
    return weighted_sum(G.mean(dim=(1, 2)), A)


@gradient_method(
    "hirescam",
    "HiResCAM",
    "Draelos & Carin 2020, Use HiResCAM instead of Grad-CAM for faithful explanations",
    "Σ_k G_k ⊙ A_k  (element-wise, no spatial averaging)",
)
def hirescam(A: Tensor, G: Tensor) -> Tensor:
    """HiResCAM: ``Σ_k G_k ⊙ A_k``. With a flatten + linear head this is ``W_c ⊙ A`` summed over k,
    so it is exactly zero wherever the class weights are zero, and sums to ``y_c − b_c``."""
    return (G * A).sum(dim=0)


@gradient_method(
    "gradcampp",
    "Grad-CAM++",
    "Chattopadhay et al. 2018, Grad-CAM++",
    "Σ_k w_k A_k,  w_k = Σ_ij a_kij ReLU(G_kij),  a = G² / (2G² + Σ_ab A_kab G³)",
)
def gradcampp(A: Tensor, G: Tensor) -> Tensor:
    """Grad-CAM++: ``Σ_k w_k A_k`` with ``w_k = Σ_ij a_kij ReLU(G_kij)`` and
    ``a_kij = G_kij² / (2 G_kij² + (Σ_ab A_kab) G_kij³)``; ``a = 0`` where the denominator is 0.

    Only G > 0 counts (ReLU), and there the G² cancels: ``a_kij ReLU(G_kij) = G_kij / (2 + (Σ_ab A_kab) G_kij)``,
    three element-wise passes instead of eight."""
    positive = G.clamp(min=0)
    denominator = 2 + A.sum(dim=(1, 2), keepdim=True) * positive
    terms = torch.where((positive > 0) & (denominator != 0), positive / denominator, 0)
    return weighted_sum(terms.sum(dim=(1, 2)), A)


@gradient_method(
    "xgradcam",
    "XGrad-CAM",
    "Fu et al. 2020, Axiom-based Grad-CAM",
    "Σ_k w_k A_k,  w_k = Σ_ij G_kij A_kij / (Σ_ij A_kij + ε)",
)
def xgradcam(A: Tensor, G: Tensor) -> Tensor:
    """XGrad-CAM: ``Σ_k w_k A_k`` with ``w_k = Σ_ij G_kij A_kij / (Σ_ij A_kij + ε)``, ε = 1e-7."""
    weights = (G * A).sum(dim=(1, 2)) / (A.sum(dim=(1, 2)) + XGRAD_EPS)
    return weighted_sum(weights, A)


@gradient_method(
    "layercam",
    "Layer-CAM",
    "Jiang et al. 2021, LayerCAM",
    "Σ_k ReLU(G_k) ⊙ A_k",
)
def layercam(A: Tensor, G: Tensor) -> Tensor:
    """Layer-CAM: ``Σ_k ReLU(G_k) ⊙ A_k`` (only positive gradients, kept per location)."""
    return (G.clamp(min=0) * A).sum(dim=0)


@gradient_method(
    "abscam1",
    "Abs-CAM (phase 1)",
    "Zeng et al. 2022, Abs-CAM",
    "Σ_k β_k A_k,  β_k = (1/Z) Σ_ij |G_kij|",
)
def abscam_phase1(A: Tensor, G: Tensor) -> Tensor:
    """Abs-CAM phase 1: ``Σ_k β_k A_k`` with ``β_k = (1/Z) Σ_ij |G_kij|`` (absolute gradients)."""
    return weighted_sum(G.abs().mean(dim=(1, 2)), A)


@gradient_method(
    "eigencam",
    "Eigen-CAM",
    "Muhammad & Yeasin 2020, Eigen-CAM",
    "project centred activations (Z×K) on their first right-singular vector",
    class_specific=False,
)
def eigencam(A: Tensor, G: Tensor) -> Tensor:
    """Eigen-CAM: with ``M`` the Z×K activations centred over locations, the map is ``M v₁``
    (v₁ the first right-singular vector, from the smaller Gram matrix: :func:`first_component`). Its sign is
    arbitrary, so it is chosen to make the map correlate positively with the mean activation ``(1/K) Σ_k A_k``.
    Class-agnostic: G is ignored."""
    channels, height, width = A.shape
    locations = A.reshape(channels, height * width).T
    centred = locations - locations.mean(dim=0, keepdim=True)
    projection = first_component(centred)
    mean_activation = locations.mean(dim=1)
    if torch.dot(projection, mean_activation - mean_activation.mean()) < 0:
        projection = -projection
    return projection.reshape(height, width)


def first_component(M: Tensor) -> Tensor:
    """``M v₁ = σ₁ u₁`` for a Z×K matrix M, from the top eigenvector of the smaller Gram matrix: ``v₁`` of
    ``MᵀM`` (K×K) when K ≤ Z, else ``u₁`` of ``MMᵀ`` (Z×Z) scaled by ``σ₁ = √λ₁``. Same as the SVD's first
    component up to sign, at the cost of one Z×Z or K×K eigendecomposition (in float64) instead of a full SVD.
    The Gram matrix itself is summed in M's own precision."""
    rows, columns = M.shape
    if columns <= rows:
        _, vectors = torch.linalg.eigh((M.T @ M).double())
        return (M.double() @ vectors[:, -1]).to(M.dtype)
    values, vectors = torch.linalg.eigh((M @ M.T).double())
    return (vectors[:, -1] * values[-1].clamp_min(0).sqrt()).to(M.dtype)
