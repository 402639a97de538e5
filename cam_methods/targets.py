"""Class-logit targets and Finer-CAM reference selection for classifiers."""

from __future__ import annotations

from collections.abc import Callable

import torch

from model_zoo import Backbone

from .capture import Targets

Tensor = torch.Tensor


def pick_references(logits: Tensor, target: int, count: int) -> list[int]:
    """The ``count`` highest-logit classes other than ``target`` (ranks 2…T+1 when target is top-1)."""
    order = torch.argsort(logits, descending=True).tolist()
    return [index for index in order if index != target][:count]


def class_targets(backbone: Backbone, target: int | str | None, n_references: int) -> Callable[[Tensor], Targets]:
    """A chooser for :func:`capture`: the target class (top-1 when None) followed by its references."""
    fixed = None if target is None else backbone.class_index(target)

    def choose(output: Tensor) -> Targets:
        logits = output[0]
        chosen = int(logits.argmax()) if fixed is None else fixed
        keys = [chosen, *pick_references(logits.detach(), chosen, n_references)]
        return Targets(keys=keys, scores=logits[keys])

    return choose
