"""Scoring many inputs in batches (Score-CAM, Abs-CAM phase 2 and the metrics), plus the cancel and progress
helpers that every slow method uses.

A backbone turns its raw output into per-target scores with ``backbone.score_outputs(output, keys)``: for a
classifier the softmax probabilities of the classes in ``keys`` (B×T); on CLIP the prompts' zero-shot probabilities.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

import torch

from model_zoo import Backbone

Tensor = torch.Tensor
DEFAULT_BATCH_SIZE = 32
CPU_BATCH_SIZE = 2  # on the 2-core CPU, Lite0 took 16 ms per image alone, 12 in pairs, 35 in batches of 32


def batch_size_on(device: torch.device, batch_size: int | None = None) -> int:
    """``batch_size``, or when None: ``CPU_BATCH_SIZE`` on a CPU, ``DEFAULT_BATCH_SIZE`` elsewhere (a GPU)."""
    if batch_size is not None:
        return batch_size
    return CPU_BATCH_SIZE if device.type == "cpu" else DEFAULT_BATCH_SIZE


class Cancelled(Exception):
    """Raised inside a slow method when the caller's ``cancel()`` returned True."""


def check_cancel(cancel: Callable[[], bool] | None) -> None:
    if cancel is not None and cancel():
        raise Cancelled("cancelled by the user")


def report(progress: Callable[[float, str], None] | None, fraction: float, message: str) -> None:
    if progress is not None:
        progress(min(max(fraction, 0.0), 1.0), message)


def score_inputs(
    backbone: Backbone,
    inputs: Tensor,
    keys: Sequence[Hashable],
    batch_size: int = DEFAULT_BATCH_SIZE,
    cancel: Callable[[], bool] | None = None,
) -> Tensor:
    """Scores (B×T) of every input in ``inputs`` (B×3×H×W) for the targets ``keys``, ``batch_size`` at a time."""
    chunks = []
    total = len(inputs)
    for start in range(0, total, batch_size):
        check_cancel(cancel)
        with backbone.lock, torch.inference_mode():
            output = backbone.model(inputs[start : start + batch_size])
            chunks.append(backbone.score_outputs(output, keys).float())
    return torch.cat(chunks) if chunks else inputs.new_zeros((0, len(keys)))
