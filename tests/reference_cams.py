"""A deliberately plain reference: one full forward *and* backward pass per method, formulas in NumPy.

This is the textbook way (and the per-method way the speed benchmark compares against): hooks keep the
layer output and its gradient, the backward pass runs all the way to the input, and each map is computed
from NumPy arrays straight from the papers' formulas (cited in `cam_methods.registry`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn


def full_pass(model: nn.Module, layer: nn.Module, x: torch.Tensor, score: Callable[[torch.Tensor], torch.Tensor]):
    """A (K×h×w) and ∂score/∂A from one forward and one full backward pass (down to the input)."""
    kept = {}

    def keep(module, inputs, output):
        kept["A"] = output
        output.register_hook(lambda grad: kept.__setitem__("G", grad))

    handle = layer.register_forward_hook(keep)
    try:
        x = x.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            output = model(x)
            model.zero_grad(set_to_none=True)
            score(output).backward()
    finally:
        handle.remove()
        model.zero_grad(set_to_none=True)  # leave shared models as they were
    return kept["A"][0].detach().numpy().astype(np.float64), kept["G"][0].detach().numpy().astype(np.float64), output


def channel_sum(weights: np.ndarray, A: np.ndarray) -> np.ndarray:
    return np.tensordot(weights, A, axes=(0, 0))


def reference_map(method: str, A: np.ndarray, G: np.ndarray, fc_row: np.ndarray | None = None) -> np.ndarray:
    """The raw (pre-ReLU) map of ``method`` by the textbook formula."""
    Z = A.shape[1] * A.shape[2]
    if method == "cam":
        return channel_sum(fc_row, A)
    if method == "gradcam":
        return channel_sum(G.sum(axis=(1, 2)) / Z, A)
    if method == "hirescam":
        return (G * A).sum(axis=0)
    if method == "gradcampp":
        numerator = G**2
        denominator = 2 * G**2 + A.sum(axis=(1, 2))[:, None, None] * G**3
        safe = np.where(denominator == 0, 1.0, denominator)
        alpha = np.where(denominator == 0, 0.0, numerator / safe)
        return channel_sum((alpha * np.maximum(G, 0)).sum(axis=(1, 2)), A)
    if method == "xgradcam":
        return channel_sum((G * A).sum(axis=(1, 2)) / (A.sum(axis=(1, 2)) + 1e-7), A)
    if method == "layercam":
        return (np.maximum(G, 0) * A).sum(axis=0)
    if method == "abscam1":
        return channel_sum(np.abs(G).sum(axis=(1, 2)) / Z, A)
    if method == "eigencam":
        M = A.reshape(A.shape[0], -1).T
        centred = M - M.mean(axis=0)
        projection = centred @ np.linalg.svd(centred, full_matrices=False)[2][0]
        mean_activation = M.mean(axis=1)
        if projection @ (mean_activation - mean_activation.mean()) < 0:
            projection = -projection
        return projection.reshape(A.shape[1:])
    raise KeyError(method)
