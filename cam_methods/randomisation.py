"""Cascading model-parameter randomisation (Adebayo et al. 2018, "Sanity Checks for Saliency Maps"): the
blocks of a backbone from the head down to the input, a copy of the backbone to randomise, and the seeded
re-initialisation of one block.

The blocks come from ``backbone.layers`` (the stages or blocks a user can explain); a layer inside a numbered
block stands for that block (a ViT's ``blocks.11.norm1`` for ``blocks.11``, CLIP's ``….resblocks.11.ln_1``
for ``….resblocks.11``). Every module that holds parameters belongs to exactly one block, in the order the
model registers its modules (the order a timm, open_clip or Hugging Face model runs them in):

- a module inside a listed layer belongs to that layer (the innermost one when listed layers nest);
- a module outside every listed layer belongs to the next listed layer after it (it computes that layer's
  input: EfficientNet's ``conv_head`` joins ``bn2``, the stem joins the first block), or to ``"head"`` when
  no listed layer follows it (the classifier).

Randomising the blocks in the order of :func:`cascade_blocks` (head first) therefore ends with every
parameter re-initialised (:func:`reinitialise` says how; a model with folded BatchNorms randomises as the same
model unfolded). Parameters held directly by a module that encloses listed layers (a ViT's class
token and position embedding, CLIP's output projection) join the first block.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from model_zoo import Backbone

HEAD = "head"
FALLBACK_STD = 0.02  # for a tensor whose own spread is zero (all ones, a single number)


@dataclass(frozen=True)
class CascadeBlock:
    """One step of the cascade: its ``name`` (a layer of the backbone, or ``"head"``) and the names of the
    modules whose own parameters it re-initialises."""

    name: str
    modules: tuple[str, ...]


def enclosing_block(layer: str) -> str:
    """The numbered block a layer sits in (``blocks.11.norm1`` → ``blocks.11``), else the layer itself."""
    parts = layer.split(".")
    return ".".join(parts[:-1]) if len(parts) > 1 and parts[-2].isdigit() and not parts[-1].isdigit() else layer


def cascade_blocks(model: nn.Module, layers: Sequence[str]) -> list[CascadeBlock]:
    """The blocks of ``model`` from the head down to the input (see the module docstring); blocks that hold
    no parameters are left out."""
    modules = list(model.named_modules())
    position = {name: index for index, (name, _) in enumerate(modules)}
    units = list(dict.fromkeys(enclosing_block(layer) for layer in layers))
    missing = [unit for unit in units if unit not in position]
    if missing:
        raise ValueError(f"the model has no module named {', '.join(missing)}")
    ordered = sorted(units, key=position.__getitem__)
    members: dict[str, list[str]] = {layer: [] for layer in [*ordered, HEAD]}
    for index, (name, module) in enumerate(modules):
        if next(module.parameters(recurse=False), None) is None:
            continue
        inside = [layer for layer in ordered if name == layer or name.startswith(layer + ".")]
        after = [layer for layer in ordered if position[layer] > index]
        owner = inside[-1] if inside else after[0] if after else HEAD
        members[owner].append(name)
    return [CascadeBlock(block, tuple(names)) for block, names in reversed(members.items()) if names]


def randomisable_copy(backbone: Backbone) -> Backbone:
    """A Backbone on a deep copy of ``backbone.model`` (classifier included), with its own lock; the served
    model is read under its lock (so no other request's hooks are copied) and never written."""
    with backbone.lock:
        model = copy.deepcopy(backbone.model)
    classifier = None
    if backbone.classifier is not None:
        name = next(name for name, module in backbone.model.named_modules() if module is backbone.classifier)
        classifier = model.get_submodule(name)
    return dataclasses.replace(backbone, model=model, classifier=classifier, lock=threading.Lock())


def reinitialise(model: nn.Module, block: CascadeBlock, seed: int) -> None:
    """Re-initialise ``block``'s parameters in place, reproducibly from ``seed`` (the global RNG is restored
    afterwards), as Quantus's PyTorch MPRT does: each layer's own default initialisation.

    - A module whose submodules hold no parameters (timm's batch norm + activation counts) and that has a
      ``reset_parameters()`` gets it: PyTorch's default init, Kaiming uniform for convolutions and linear
      layers (bias U(±1/√fan_in)), γ = 1, β = 0 and fresh running statistics (μ = 0, σ² = 1) for batch norm.
      A parent's reset is not called (it could reach other blocks).
    - A convolution with a BatchNorm folded into it (``conv.folded_batchnorm``, :mod:`model_zoo.batchnorm_fold`)
      is reset as the pair it stands for: the convolution's own reset (no bias draw when it had none), then
      the reset BatchNorm folded in, ``W ← W / √(1 + ε)`` and ``b ← 0`` (or its own reset bias / √(1 + ε)).
      Resetting it as a plain convolution would add a random bias the model never had: those biases swamp
      the (shrinking) signal of a deep random network, whose maps then show the zero-padding, not the image.
    - Every other parameter is drawn from N(0, σ²) with σ its own standard deviation (``FALLBACK_STD`` when
      that is zero or undefined)."""
    device = next(model.parameters()).device
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []), torch.no_grad():
        torch.manual_seed(seed)
        for name in block.modules:
            module = model.get_submodule(name)
            reset = getattr(module, "reset_parameters", None)
            folded = getattr(module, "folded_batchnorm", None)
            if folded is not None:
                reset_folded_pair(module, folded.eps, folded.conv_bias)
            elif callable(reset) and not any(next(child.parameters(), None) is not None for child in module.children()):
                reset()
            else:
                for parameter in module.parameters(recurse=False):
                    spread = parameter.float().std() if parameter.numel() > 1 else torch.tensor(0.0)
                    std = float(spread) if float(spread) > 0 else FALLBACK_STD
                    parameter.copy_(torch.randn_like(parameter) * std)


def reset_folded_pair(conv: nn.Conv2d, eps: float, conv_bias: bool) -> None:
    """Reset a convolution with a BatchNorm folded into it as the unfolded pair would be reset, then refold:
    a reset BatchNorm (γ = 1, β = 0, μ = 0, σ² = 1) is ``y ↦ y / √(1 + ε)``. Draws the same random numbers
    as resetting the unfolded convolution (the BatchNorm's reset draws none)."""
    bias = conv.bias
    if not conv_bias:
        conv.bias = None  # so that the reset draws no bias, as on the convolution before folding
    conv.reset_parameters()
    scale = (1.0 + eps) ** -0.5
    conv.weight.mul_(scale)
    if conv_bias:
        conv.bias.mul_(scale)
    else:
        conv.bias = bias
        bias.zero_()
