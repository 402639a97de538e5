"""Post-processing shared by every method: ReLU, min-max to [0, 1], bilinear upsampling to the input.

A constant (or all-negative) map becomes all zeros, never NaN. ``signed=True`` keeps the sign instead:
the map is divided by its largest absolute value, giving [-1, 1].
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

Tensor = torch.Tensor


def normalise(raw: Tensor, signed: bool = False) -> Tensor:
    """ReLU then min-max to [0, 1] (or ``raw / max|raw|`` when ``signed``); flat maps give zeros."""
    raw = raw.float()
    if signed:
        scale = raw.abs().max()
        return raw / scale if scale > 0 else torch.zeros_like(raw)
    positive = raw.clamp(min=0)
    low, high = positive.min(), positive.max()
    span = high - low
    if span <= torch.finfo(positive.dtype).eps * high:
        return torch.zeros_like(positive)
    return (positive - low) / span


def upsample(grid_map: Tensor, size: tuple[int, int]) -> Tensor:
    """Bilinear resize of an h×w map to ``size`` (H, W); a map already that size is returned as is."""
    if tuple(grid_map.shape[-2:]) == tuple(size):
        return grid_map
    return F.interpolate(grid_map[None, None], size=size, mode="bilinear", align_corners=False)[0, 0]


def to_input_map(raw: Tensor, size: tuple[int, int], signed: bool = False) -> Tensor:
    """The full post-processing chain: normalise on the grid, then upsample to the input size."""
    return upsample(normalise(raw, signed), size)
