"""One probe pass through an unknown model: every module's output shape and layout, the order in which
the modules finish, and whether the top class score's gradient reaches each layer's grid.

The probe is one forward pass of a random 1×3×H×W input with a forward hook on every module, then one
backward pass of the top-1 score ``y_c`` to every hooked output that is a grid. A layer is *reached* when
``∂y_c/∂A`` is non-zero somewhere on its grid (prefix tokens excluded): after a class-token pooling head,
the patch tokens of the last block get no gradient at all, so that block is not a sensible default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .layouts import Grid, layout_of
from .logits import logits_of

PROBE_SEED = 0


@dataclass(frozen=True)
class LayerReport:
    """What the probe saw of one module: its output's shape and layout, whether the gradient reached its
    grid, and whether it is a block worth offering as a layer (:func:`is_block`)."""

    name: str
    shape: tuple[int, ...]
    grid: Grid
    reached: bool
    block: bool


@dataclass(frozen=True)
class ProbeResult:
    """The probe's findings: grid layers by name (in the order they finished), their outputs, the model's
    logits, whether the model returned them as a plain tensor (else an object or dict with ``logits``), and the
    grid layers whose output a later in-place operation changed (a ``ReLU(inplace=True)`` after a BatchNorm):
    their kept output is no longer what the layer returned."""

    layers: dict[str, LayerReport]
    outputs: dict[str, torch.Tensor]
    logits: torch.Tensor
    tensor_output: bool
    overwritten: frozenset[str] = frozenset()


def is_block(name: str, module: nn.Module, modules: dict[str, nn.Module]) -> bool:
    """A layer worth offering: a module with parameters that is either made of parts (a block, a stage) or
    sits in a plain list of layers (``features.28``) or outside every numbered block (``bn2``,
    ``vit.layernorm``), not a leaf inside a block (``layer4.1.conv3``)."""
    if next(module.parameters(), None) is None:
        return False
    if any(True for _ in module.children()) and not _leaf_with_helpers(module):
        return True
    parent = modules.get(name.rpartition(".")[0])
    return isinstance(parent, nn.Sequential | nn.ModuleList) or not any(part.isdigit() for part in name.split("."))


def _leaf_with_helpers(module: nn.Module) -> bool:
    """A layer whose children carry no weights (timm's BatchNormAct2d: a norm with an activation inside)."""
    return all(next(child.parameters(), None) is None for child in module.children())


def probe(model: nn.Module, input_size: tuple[int, int]) -> ProbeResult:
    """Run ``model`` once on a random 1×3×H×W input and report every module whose output is a grid.

    Raises a ValueError (one sentence) when the model does not run on that input or returns no class scores."""
    named = dict(model.named_modules())
    outputs: dict[str, torch.Tensor] = {}
    calls: dict[str, int] = {}
    versions: dict[str, int] = {}
    with torch.enable_grad():
        output = _forward(model, input_size, outputs, calls, versions)
        logits = logits_of(output)
        grids = _grid_outputs(outputs, calls, input_size)
        gradients = _top_class_gradients(logits, [outputs[name] for name in grids])
    layers = {
        name: LayerReport(
            name=name,
            shape=tuple(outputs[name].shape),
            grid=grid,
            reached=_reached(grid, gradient, input_size),
            block=is_block(name, named[name], named),
        )
        for (name, grid), gradient in zip(grids.items(), gradients, strict=True)
    }
    kept = {name: outputs[name].detach() for name in grids}
    overwritten = frozenset(name for name in grids if outputs[name]._version != versions[name])
    return ProbeResult(layers, kept, logits.detach(), isinstance(output, torch.Tensor), overwritten)


def _forward(model: nn.Module, input_size: tuple[int, int], outputs: dict, calls: dict, versions: dict) -> Any:
    """The model's output for a seeded random input, with every module's (last) output kept in ``outputs``
    in the order the modules finished, its call count in ``calls`` and its version counter (which in-place
    operations bump) in ``versions``."""

    def keep(name: str) -> Callable:
        def hook(module: nn.Module, inputs: tuple, output: Any) -> None:
            calls[name] = calls.get(name, 0) + 1
            if isinstance(output, torch.Tensor) and output.requires_grad:
                outputs.pop(name, None)
                outputs[name] = output
                versions[name] = output._version

        return hook

    generator = torch.Generator().manual_seed(PROBE_SEED)
    device = next(model.parameters(), torch.empty(0)).device
    x = torch.randn(1, 3, *input_size, generator=generator).to(device).requires_grad_(True)
    handles = [module.register_forward_hook(keep(name)) for name, module in model.named_modules() if name]
    try:
        return model(x)
    except Exception as error:  # noqa: BLE001  (any failure of an unknown model is one sentence)
        message = " ".join(str(error).split())[:200]
        raise ValueError(
            f"the model does not run on a 1×3×{input_size[0]}×{input_size[1]} input ({type(error).__name__}: "
            f"{message}); pass preprocess= with the input size it expects"
        ) from error
    finally:
        for handle in handles:
            handle.remove()


def _grid_outputs(
    outputs: dict[str, torch.Tensor], calls: dict[str, int], input_size: tuple[int, int]
) -> dict[str, Grid]:
    """The layouts of the outputs that are grids, in the order their modules finished; modules that ran more
    than once are left out (a hook could not tell the calls apart)."""
    grids = {}
    for name, output in outputs.items():
        grid = layout_of(tuple(output.shape), input_size) if calls[name] == 1 else None
        if grid is not None:
            grids[name] = grid
    return grids


def _top_class_gradients(logits: torch.Tensor, tensors: list[torch.Tensor]) -> list[torch.Tensor | None]:
    """∂y_c/∂t for the top-1 class c of the first image and every tensor t (None where it does not depend)."""
    if not tensors:
        return []
    score = logits[0, logits[0].argmax()]
    return list(torch.autograd.grad(score, tensors, allow_unused=True))


def _reached(grid: Grid, gradient: torch.Tensor | None, input_size: tuple[int, int]) -> bool:
    """True when the gradient is non-zero somewhere on the grid (prefix tokens dropped by ``grid``)."""
    return gradient is not None and bool(grid(gradient.detach(), input_size).ne(0).any())
