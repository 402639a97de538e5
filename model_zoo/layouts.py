"""The layout of a layer's output, read from its shape and the input's size: a spatial map N×C×H×W or
N×H×W×C, or a token sequence N×(p + h·w)×C with p prefix tokens (CLS, distillation, registers).

:func:`layout_of` returns the ``to_grid`` function that lays one such output out as K×h×w, or None when
the output is not a grid (a pooled vector, a 1×1 map, logits) or could be read both ways.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from .backbone import channels_first_grid
from .timm_vit import TokenGrid

Grid = Callable[[torch.Tensor, tuple[int, int]], torch.Tensor]
MAX_PREFIX_TOKENS = 16  # CLS + distillation + up to 14 registers


def channels_last_grid(activation: torch.Tensor, input_size: tuple[int, int] | None = None) -> torch.Tensor:
    """A 1×h×w×K activation (Swin, MaxViT and ConvNeXt blocks in some forms) as the K×h×w grid."""
    if activation.dim() != 4:
        raise ValueError(f"expected a 1×h×w×K activation, got shape {tuple(activation.shape)}")
    return activation[0].permute(2, 0, 1).contiguous()


def is_grid_of(height: int, width: int, input_size: tuple[int, int]) -> bool:
    """True when an h×w grid (h·w > 1) can tile an H×W input: ``|h − w·H/W| ≤ 1`` (one cell of rounding)
    and neither side exceeds the input's."""
    rows, columns = input_size
    if height * width < 2 or height > rows or width > columns:
        return False
    return abs(height - width * rows / columns) <= 1


def spatial_layout(shape: tuple[int, ...], input_size: tuple[int, int]) -> Grid | None:
    """N×C×H×W when dims 2, 3 make a grid of the input, N×H×W×C when dims 1, 2 do; None when neither or
    both (a square input with C ≈ H ≈ W cannot tell them apart)."""
    first = is_grid_of(shape[2], shape[3], input_size)
    last = is_grid_of(shape[1], shape[2], input_size)
    if first == last:
        return None
    return channels_first_grid if first else channels_last_grid


def token_layout(tokens: int, input_size: tuple[int, int]) -> TokenGrid | None:
    """The token grid of N tokens for an H×W input: N = p + h·w with h = H / s and w = W / s for a stride
    s (rounded down, or up), 0 ≤ p ≤ ``MAX_PREFIX_TOKENS``. The fewest prefix tokens wins; among equal
    counts, a stride that divides H and W exactly, then rounding down. None when no stride fits."""
    rows, columns = input_size
    found = []
    for stride in range(1, max(rows, columns) + 1):
        for ceil in (False, True):
            height, width = (-(-rows // stride), -(-columns // stride)) if ceil else (rows // stride, columns // stride)
            prefix = tokens - height * width
            if height * width > 1 and 0 <= prefix <= MAX_PREFIX_TOKENS:
                exact = rows % stride == 0 and columns % stride == 0
                found.append((prefix, not exact, ceil, stride))
    if not found:
        return None
    prefix, _, ceil, stride = min(found)
    return TokenGrid((stride, stride), prefix, ceil=ceil)


def layout_of(shape: tuple[int, ...], input_size: tuple[int, int]) -> Grid | None:
    """The K×h×w layout of a batch-of-one output of ``shape`` for an H×W input, or None if it has none."""
    if not shape or shape[0] != 1:
        return None
    if len(shape) == 4:
        return spatial_layout(shape, input_size)
    if len(shape) == 3:
        return token_layout(shape[1], input_size)
    return None


def grid_size(grid: Grid, shape: tuple[int, ...], input_size: tuple[int, int]) -> tuple[int, int]:
    """The h×w that ``grid`` makes of an output of ``shape`` (without touching any tensor)."""
    return tuple(grid(torch.empty(shape, device="meta"), input_size).shape[1:])
