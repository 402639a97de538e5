"""Whether a layer feeds a global-average-pool + single linear head, read from a probe's numbers, so that
CAM applies to a wrapped model exactly where its definition holds."""

from __future__ import annotations

import torch
from torch import nn

from .probe import ProbeResult

TOLERANCE = 1e-4


def gap_linear_head(model: nn.Module, found: ProbeResult, layer: str, input_size: tuple[int, int]) -> nn.Linear | None:
    """The ``nn.Linear`` W of ``model`` with ``y = W · mean_ij A_ij + b`` for the probe's logits y and the
    output A (K×h×w) of ``layer``, within a relative tolerance of 1e-4; None when no linear layer does, and when
    an in-place operation changed A after the layer returned it (then the head sees something else than A)."""
    if layer in found.overwritten:
        return None
    grid = found.layers[layer].grid(found.outputs[layer], input_size)
    pooled = grid.mean(dim=(1, 2))
    logits = found.logits[0]
    scale = float(logits.abs().max()) or 1.0
    for module in reversed(list(model.modules())):
        if not isinstance(module, nn.Linear) or (module.in_features, module.out_features) != (
            pooled.numel(),
            logits.numel(),
        ):
            continue
        with torch.no_grad():
            predicted = module(pooled.to(module.weight.dtype))
        if float((predicted - logits).abs().max()) <= TOLERANCE * scale:
            return module
    return None
