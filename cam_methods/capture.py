"""One forward pass, gradients of many targets: the shared evidence every gradient-family map is built from.

How the backward pass is kept short: the forward pass runs under ``torch.no_grad()``; a forward hook on
the chosen layer replaces its output ``A`` by a fresh leaf tensor that requires grad and switches grad
mode on. Only the part of the network *after* the layer is therefore recorded, and
``torch.autograd.grad(score_t, A)`` for each target t back-propagates through that part alone.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from model_zoo import Backbone

Tensor = torch.Tensor


@dataclass(frozen=True)
class Targets:
    """What to differentiate: one scalar score per key (class index or prompt), built from the output."""

    keys: Sequence[Hashable]
    scores: Tensor


@dataclass(frozen=True)
class Evidence:
    """The result of :func:`capture`.

    ``activations`` is A (K×h×w); ``gradients[t]`` is ∂score_t/∂A (K×h×w) for ``keys[t]``; ``scores``
    are the T target scores; ``output`` is the model output (detached).
    """

    layer: str
    activations: Tensor
    gradients: Tensor
    keys: tuple[Hashable, ...]
    scores: Tensor
    output: Tensor


class _LayerTap:
    """Forward hook that turns a layer's output into the leaf the gradients are taken with respect to."""

    def __init__(self) -> None:
        self.leaf: Tensor | None = None

    def __call__(self, module: nn.Module, inputs: tuple, output: Tensor) -> Tensor:
        if not isinstance(output, Tensor):
            raise TypeError(f"the chosen layer returns {type(output).__name__}, not a tensor; choose another layer")
        if self.leaf is not None:
            raise RuntimeError("the chosen layer runs more than once per forward pass; choose another layer")
        torch.set_grad_enabled(True)  # undone when the caller's no_grad block exits
        self.leaf = output.detach().requires_grad_(True)
        return self.leaf.clone()  # downstream in-place ops act on the clone, never on the leaf


def capture(backbone: Backbone, x: Tensor, choose: Callable[[Tensor], Targets], layer: str | None = None) -> Evidence:
    """Run ``backbone`` once on ``x`` and return A and ∂s_t/∂A for every target ``choose(output)`` picks.

    ``choose`` sees the model output (graph attached from the layer on) and returns :class:`Targets`;
    reference selection therefore needs no second forward pass. ``backbone.grid_of(layer)(tensor, (H, W))``
    lays the layer output out as K×h×w (a ViT reads its token grid from the input size).
    """
    input_size = (int(x.shape[-2]), int(x.shape[-1]))
    layer = layer or backbone.default_layer
    module = backbone.module(layer)
    tap = _LayerTap()
    with backbone.lock, torch.no_grad():
        handle = module.register_forward_hook(tap)
        try:
            output = backbone.model(x)
        finally:
            handle.remove()
        if tap.leaf is None:
            raise RuntimeError(f"layer {layer!r} was not reached by the forward pass")
        with torch.enable_grad():
            targets = choose(output)
            gradients = _gradients(targets.scores, tap.leaf)
    to_grid = backbone.grid_of(layer)
    return Evidence(
        layer=layer,
        activations=to_grid(tap.leaf.detach(), input_size),
        gradients=torch.stack([to_grid(g, input_size) for g in gradients]),
        keys=tuple(targets.keys),
        scores=targets.scores.detach(),
        output=output.detach(),
    )


def _gradients(scores: Tensor, leaf: Tensor) -> list[Tensor]:
    """∂scores[t]/∂leaf for each t, reusing one recorded graph."""
    last = len(scores) - 1
    gradients = []
    for t, score in enumerate(scores):
        (gradient,) = torch.autograd.grad(score, leaf, retain_graph=t < last, allow_unused=True)
        gradients.append(torch.zeros_like(leaf) if gradient is None else gradient)
    return gradients
