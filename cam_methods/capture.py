"""One forward pass, gradients of many targets: the shared evidence every gradient-family map is built from.

How the backward pass is kept short: the forward pass runs under ``torch.no_grad()``; a forward hook on
the chosen layer replaces its output ``A`` by a fresh leaf tensor that requires grad and switches grad
mode on. Only the part of the network *after* the layer is therefore recorded, and
``torch.autograd.grad(score_t, A)`` back-propagates through that part alone. The targets go back together:
one vectorised backward call (``is_grads_batched``) gives ∂score_t/∂A for up to :data:`BACKWARD_BATCH` of them.

Several layers (:func:`capture_layers`): every chosen layer is tapped in the same forward pass. The first
one reached becomes the leaf as above; a later one's output already hangs in the recorded graph and is kept
as it is (a graph node, not a leaf), so the same backward call with leaves ``[A_1, A_2, …]`` gives ∂score_t/∂A_l
at every tapped layer, back-propagating no further than the earliest one.

No backward at all (:func:`_head_capture`) where the one chosen layer feeds global average pooling and a linear
head whose logits are the targets (the bundled model's default layer): there ∂y_c/∂A_kij = W_ck / (h·w), so the
forward pass runs in inference mode and the gradients are read off the head's weights.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from model_zoo import Backbone

Tensor = torch.Tensor
BACKWARD_BATCH = 4  # targets per backward call: the default target + 3 references in one; memory grows with it


@dataclass(frozen=True)
class Targets:
    """What to differentiate: one scalar score per key (class index or prompt), built from the output."""

    keys: Sequence[Hashable]
    scores: Tensor


@dataclass(frozen=True)
class Evidence:
    """The result of :func:`capture`.

    ``activations`` is A (K×h×w); ``gradients[t]`` is ∂score_t/∂A (K×h×w) for ``keys[t]``, for every key,
    or for the first ``len(gradients)`` keys only when the capture was asked for fewer (``differentiated``);
    ``scores`` are the T target scores; ``output`` is the model output (detached).
    """

    layer: str
    activations: Tensor
    gradients: Tensor
    keys: tuple[Hashable, ...]
    scores: Tensor
    output: Tensor

    @functools.cached_property
    def extremes(self) -> tuple[float, float, float, float]:
        """(min A, max A, min G, max G), G the first key's gradient; computed once, for the diagnosis of every map
        (a slider move diagnoses each Finer map again). A NaN anywhere makes its pair NaN; an infinity shows."""
        activations, gradients = torch.aminmax(self.activations), torch.aminmax(self.gradients[0])
        return (*(float(value) for value in activations), *(float(value) for value in gradients))


class _LayerTap:
    """Forward hook that keeps a layer's output as the tensor the gradients are taken with respect to.

    Outside the recorded graph (the first tapped layer, under no_grad) the output becomes a fresh leaf and
    grad mode is switched on; inside it (a later layer) the output is kept as the graph node it is. With
    ``record=False`` (an inference-mode pass, no backward to follow) the output is kept as it is."""

    def __init__(self, record: bool = True) -> None:
        self.record = record
        self.leaf: Tensor | None = None

    def __call__(self, module: nn.Module, inputs: tuple, output: Tensor) -> Tensor:
        if not isinstance(output, Tensor):
            raise TypeError(f"the chosen layer returns {type(output).__name__}, not a tensor; choose another layer")
        if self.leaf is not None:
            raise RuntimeError("the chosen layer runs more than once per forward pass; choose another layer")
        if output.requires_grad or not self.record:
            self.leaf = output
        else:
            torch.set_grad_enabled(True)  # undone when the caller's no_grad block exits
            self.leaf = output.detach().requires_grad_(True)
        return self.leaf.clone()  # downstream in-place ops act on the clone, never on the tapped tensor


def capture(backbone: Backbone, x: Tensor, choose: Callable[[Tensor], Targets], layer: str | None = None) -> Evidence:
    """Run ``backbone`` once on ``x`` and return A and ∂s_t/∂A for every target ``choose(output)`` picks.

    ``choose`` sees the model output (graph attached from the layer on) and returns :class:`Targets`;
    reference selection therefore needs no second forward pass. ``backbone.grid_of(layer)(tensor, (H, W))``
    lays the layer output out as K×h×w (a ViT reads its token grid from the input size).
    """
    layer = layer or backbone.default_layer
    return capture_layers(backbone, x, choose, [layer])[layer]


def capture_layers(
    backbone: Backbone,
    x: Tensor,
    choose: Callable[[Tensor], Targets],
    layers: Sequence[str],
    differentiated: int | None = None,
    head: Tensor | None = None,
) -> dict[str, Evidence]:
    """:func:`capture` at every layer of ``layers`` from ONE forward pass and one backward walk (down to the
    earliest of them): {layer: Evidence}, in the order given; keys, scores and output are shared.
    ``differentiated``: back-propagate only the first that many keys (None: all), e.g. the target alone when
    no Finer map needs its references' gradients. ``head``: the classes × K weight matrix of the global-average-
    pool + linear head that the one layer in ``layers`` feeds, when the targets are that head's logits; then no
    backward is needed (:func:`_head_capture`)."""
    input_size = (int(x.shape[-2]), int(x.shape[-1]))
    if head is not None:
        (layer,) = layers
        return {layer: _head_capture(backbone, x, input_size, choose, layer, differentiated, head)}
    leaves, gradients, targets, output = _recorded(backbone, x, choose, layers, differentiated)
    return {
        layer: _evidence(backbone, layer, input_size, leaf, [per_key[number] for per_key in gradients], targets, output)
        for number, (layer, leaf) in enumerate(zip(layers, leaves, strict=True))
    }


def _recorded(
    backbone: Backbone,
    x: Tensor,
    choose: Callable[[Tensor], Targets],
    layers: Sequence[str],
    differentiated: int | None,
) -> tuple[list[Tensor], list[list[Tensor]], Targets, Tensor]:
    """The tapped forward pass and the targets' gradients: (A per layer, gradients per key and layer, targets,
    output), all detached, so that the recorded graph and the activations it saved (kept for the fallback by
    ``retain_graph``) are freed on return, before the Evidence copies the gradients: a 12-layer ViT-B/16 sweep
    with 51 targets, one per backward call, peaked at +1.30 GB instead of +1.41 GB."""
    taps = {layer: _LayerTap() for layer in layers}
    with backbone.lock, torch.no_grad():
        output = _tapped_forward(backbone, x, taps)
        with torch.enable_grad():
            targets = choose(output)
            gradients = _gradients(targets.scores[:differentiated], [tap.leaf for tap in taps.values()])
    detached = Targets(keys=targets.keys, scores=targets.scores.detach())
    return [tap.leaf.detach() for tap in taps.values()], gradients, detached, output.detach()


def _tapped_forward(backbone: Backbone, x: Tensor, taps: dict[str, _LayerTap]) -> Tensor:
    """The model's output on ``x``, each tap hooked on its layer for this pass; a RuntimeError names the layers
    the pass did not reach."""
    handles = [backbone.module(layer).register_forward_hook(tap) for layer, tap in taps.items()]
    try:
        output = backbone.model(x)
    finally:
        for handle in handles:
            handle.remove()
    missed = [layer for layer, tap in taps.items() if tap.leaf is None]
    if missed:
        raise RuntimeError(f"layer(s) {', '.join(map(repr, missed))} were not reached by the forward pass")
    return output


def _head_capture(
    backbone: Backbone,
    x: Tensor,
    input_size: tuple[int, int],
    choose: Callable[[Tensor], Targets],
    layer: str,
    differentiated: int | None,
    head: Tensor,
) -> Evidence:
    """The capture at a layer that feeds global average pooling and a linear head W, whose logits are the
    targets: ``y_c = Σ_k W_ck (1/Z) Σ_ij A_kij + b_c``, so ``∂y_c/∂A_kij = W_ck / Z`` (Z = h·w) exactly, the
    identity behind CAM = Grad-CAM there. One inference-mode forward pass, and the gradients are read off W."""
    tap = _LayerTap(record=False)
    with backbone.lock, torch.inference_mode():
        output = _tapped_forward(backbone, x, {layer: tap})
    output, kept = output.clone(), tap.leaf.clone()  # ordinary tensors: inference ones refuse in-place updates
    targets = choose(output)
    activations = backbone.grid_of(layer)(kept, input_size)
    _, height, width = activations.shape
    rows = head[list(targets.keys[:differentiated])].to(activations) / (height * width)
    return Evidence(
        layer=layer,
        activations=activations,
        gradients=rows[:, :, None, None].expand(-1, -1, height, width).contiguous(),
        keys=tuple(targets.keys),
        scores=targets.scores.detach(),
        output=output,
    )


def _evidence(
    backbone: Backbone,
    layer: str,
    input_size: tuple[int, int],
    leaf: Tensor,
    gradients: list[Tensor],
    targets: Targets,
    output: Tensor,
) -> Evidence:
    """One layer's Evidence from :func:`_recorded`'s detached tensors, laid out as K×h×w grids."""
    to_grid = backbone.grid_of(layer)
    return Evidence(
        layer=layer,
        activations=to_grid(leaf, input_size),
        gradients=torch.stack([to_grid(g, input_size) for g in gradients]),
        keys=tuple(targets.keys),
        scores=targets.scores,
        output=output,
    )


def _gradients(scores: Tensor, leaves: list[Tensor]) -> list[list[Tensor]]:
    """``[∂scores[t]/∂leaf for each leaf]`` for each t, through one recorded graph: the targets go back
    :data:`BACKWARD_BATCH` at a time (:func:`_batch_gradients`)."""
    gradients = []
    for start in range(0, len(scores), BACKWARD_BATCH):
        gradients += _batch_gradients(scores[start : start + BACKWARD_BATCH], leaves)
    return gradients


def _batch_gradients(scores: Tensor, leaves: list[Tensor]) -> list[list[Tensor]]:
    """The gradients of a few targets: from one vectorised backward (:func:`_vectorised`) when there are
    several, else (or where that cannot run) one backward per target. The graph is kept (``retain_graph``) for
    the next batch and for that fallback; it is freed with the capture's tensors."""
    per_target = _vectorised(scores, leaves) if len(scores) > 1 else None
    if per_target is None:
        per_target = [torch.autograd.grad(score, leaves, retain_graph=True, allow_unused=True) for score in scores]
    return [
        [torch.zeros_like(leaf) if g is None else g.detach() for leaf, g in zip(leaves, found, strict=True)]
        for found in per_target
    ]


def _vectorised(scores: Tensor, leaves: list[Tensor]) -> list[list[Tensor | None]] | None:
    """All targets' gradients from ONE backward call with the identity's rows as grad outputs
    (``is_grads_batched``): the part after the layer is walked once, so its weights are read once, not once per
    target (Lite0, 4 targets: 2.6 vs 4.6 ms; a single target is quicker without it). None where vmap cannot
    batch an operation of that part (a custom backward that calls ``.item()``)."""
    identity = torch.eye(len(scores), dtype=scores.dtype, device=scores.device)
    try:
        found = torch.autograd.grad(
            scores, leaves, identity, retain_graph=True, allow_unused=True, is_grads_batched=True
        )
    except RuntimeError:
        return None
    return [[None if g is None else g[row] for g in found] for row in range(len(scores))]
