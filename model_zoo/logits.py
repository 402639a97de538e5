"""Class scores from whatever a classifier returns: a tensor, or an object or dict holding ``logits`` (a
Hugging Face ``ImageClassifierOutput``), and :class:`LogitsOf`, the module that makes such a model return
the tensor the engine expects while keeping the model's own layer names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn


def logits_of(output: Any) -> torch.Tensor:
    """The B×classes scores in ``output``: the tensor itself, ``output["logits"]`` or ``output.logits``.

    Raises a ValueError (one sentence) for anything else."""
    if isinstance(output, Mapping):
        output = output.get("logits", output)
    elif not isinstance(output, torch.Tensor) and isinstance(getattr(output, "logits", None), torch.Tensor):
        output = output.logits
    if not isinstance(output, torch.Tensor) or output.dim() != 2:
        shape = tuple(output.shape) if isinstance(output, torch.Tensor) else type(output).__name__
        raise ValueError(
            f"the model returns {shape}, not class scores: its forward must return a batch×classes tensor "
            "or an object with .logits"
        )
    return output


class LogitsOf(nn.Module):
    """``model`` whose forward returns ``logits_of(model(x))``.

    ``get_submodule`` looks in ``model`` itself, so layers keep the names the user knows
    (``vit.encoder.layer.11``, not ``inner.vit.encoder.layer.11``)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.inner = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return logits_of(self.inner(x))

    def get_submodule(self, target: str) -> nn.Module:
        return self.inner.get_submodule(target)
