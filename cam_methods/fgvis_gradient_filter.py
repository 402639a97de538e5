"""FGVis's gradient filter (Wagner et al. 2019): the defence against adversarial evidence.

On a forward pass of the original image, every activation module records its output ``a⁰``. While the
filter is active, each of those modules passes gradient backwards only where its current output ``a``
stays inside the bound set by the image itself,

    min(0, a⁰) ≤ a ≤ max(0, a⁰),

and zero elsewhere. The forward pass is unchanged and there is no parameter to tune: an optimisation may
weaken the features the image has, but it gets no gradient that would push a feature beyond what the
image itself produced (or switch on one it did not), which is how adversarial evidence arises.

How the bound reads for each activation:

- ReLU and ReLU6 (the bundled EfficientNet-Lite0): ``a⁰ ≥ 0``, so the bound is ``0 ≤ a ≤ a⁰``. A unit
  that was off (``a⁰ = 0``) passes no gradient once it switches on. ReLU6's upper clip at 6 changes
  nothing: a saturated unit has ``a⁰ = 6`` and zero local gradient anyway.
- SiLU/Swish and GELU (EfficientNet-B0, ViTs, CLIP): outputs dip below zero (to about −0.28 and −0.17).
  The same bound applies to the output: ``0 ≤ a ≤ a⁰`` where ``a⁰ > 0``, and ``a⁰ ≤ a ≤ 0`` where
  ``a⁰ < 0``; a unit may move towards zero, never past its original value or across zero.

Which modules count: those whose class name is in :data:`FILTERED_ACTIVATIONS` (torch's and timm's
activation modules, open_clip's QuickGELU). Activations applied as plain functions inside a module's
``forward`` (for example the attention softmax) have no module to hook and are not filtered.

The hooks are forward hooks that replace the activation's output by an identical copy whose backward
pass applies the bound; :func:`bounded_gradients` removes every hook when its block exits, whether it
ends normally, by an exception or by a cancel, so the model is exactly as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle

Tensor = torch.Tensor

FILTERED_ACTIVATIONS = frozenset(
    {"relu", "relu6", "leakyrelu", "elu", "silu", "swish", "gelu", "gelutanh", "quickgelu", "hardswish", "mish"}
)


def activation_modules(model: nn.Module) -> list[nn.Module]:
    """The modules of ``model`` whose outputs the filter bounds (by class name, see FILTERED_ACTIVATIONS)."""
    return [module for module in model.modules() if type(module).__name__.lower() in FILTERED_ACTIVATIONS]


def inside_bound(activation: Tensor, original: Tensor) -> Tensor:
    """``min(0, a⁰) ≤ a ≤ max(0, a⁰)`` element-wise, as a boolean tensor."""
    return (original.clamp(max=0) <= activation) & (activation <= original.clamp(min=0))


class _BoundedBackward(torch.autograd.Function):
    """Identity forward; backward multiplies the gradient by the precomputed inside-the-bound mask."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, activation: Tensor, inside: Tensor) -> Tensor:
        ctx.save_for_backward(inside)
        return activation.clone()

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: Tensor) -> tuple[Tensor, None]:
        (inside,) = ctx.saved_tensors
        return grad * inside, None


class _Recorder:
    """Forward hook storing each call's output: ``outputs[i]`` is the i-th call in a forward pass."""

    def __init__(self) -> None:
        self.outputs: list[Tensor] = []

    def __call__(self, module: nn.Module, inputs: tuple, output: Tensor) -> None:
        self.outputs.append(output.detach().clone())


class _Bound:
    """Forward hook applying the bound recorded for this module; a module run n times per pass cycles
    through its n recorded outputs in call order."""

    def __init__(self, originals: list[Tensor]) -> None:
        self.originals = originals
        self.calls = 0

    def __call__(self, module: nn.Module, inputs: tuple, output: Tensor) -> Tensor:
        original = self.originals[self.calls % len(self.originals)]
        self.calls += 1
        if output.shape != original.shape:
            raise ValueError(
                f"{type(module).__name__} output has shape {tuple(output.shape)} while filtering, "
                f"but {tuple(original.shape)} on the original image; the filter needs the same input size"
            )
        return _BoundedBackward.apply(output, inside_bound(output.detach(), original))


@contextmanager
def bounded_gradients(model: nn.Module, original_input: Tensor) -> Iterator[list[nn.Module]]:
    """Record ``a⁰`` on ``original_input``, then filter gradients in every forward pass inside the block.

    Yields the filtered modules. Every hook is removed on exit, however the block exits.
    """
    modules = activation_modules(model)
    recorders = [_Recorder() for _ in modules]
    handles: list[RemovableHandle] = []  # removing a handle twice is harmless
    try:
        for module, recorder in zip(modules, recorders, strict=True):
            handles.append(module.register_forward_hook(recorder))
        with torch.no_grad():
            model(original_input)
        for handle in handles:
            handle.remove()
        for module, recorder in zip(modules, recorders, strict=True):
            if recorder.outputs:
                handles.append(module.register_forward_hook(_Bound(recorder.outputs)))
        yield modules
    finally:
        for handle in handles:
            handle.remove()
