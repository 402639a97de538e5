"""BatchNorm folded into the convolution that feeds it, for inference: one convolution instead of a
convolution and a normalisation pass over its output.

For a convolution ``y = W * x + b`` followed by an eval-mode BatchNorm with running mean μ, variance σ²,
scale γ, shift β and ε:

    BN(y) = γ (y − μ) / √(σ² + ε) + β = W' * x + b',   W' = W · s,  b' = (b − μ) · s + β,  s = γ / √(σ² + ε)

(s per output channel). The BatchNorm module is then replaced, under the same name, by what it ran after the
normalisation (timm's ``BatchNormAct2d``: its dropout and activation; a plain BatchNorm: nothing), so a hook
on it still sees the same tensor. Which convolution feeds which BatchNorm is read from one traced forward
pass (the BatchNorm's input must be the convolution's output tensor itself); a convolution whose own output
is a tapped layer (``keep``) is left alone, since folding would change what that layer shows.

A folded convolution keeps a :class:`FoldedBatchNorm` record as ``conv.folded_batchnorm`` (the BatchNorm's ε and
whether the convolution had a bias of its own), so that a re-initialisation can reset the pair it stands for
(:mod:`cam_methods.randomisation`) rather than a convolution with a free bias the model never had.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class FoldedBatchNorm:
    """What folding replaced: the BatchNorm's ``eps`` and whether the convolution had its own bias (``conv_bias``)."""

    eps: float
    conv_bias: bool


def fold_batchnorms(model: nn.Module, example: torch.Tensor, keep: Collection[str] = ()) -> int:
    """Fold every eval-mode BatchNorm2d fed directly by a Conv2d of ``model`` into it, in place; return how many."""
    pairs = conv_batchnorm_pairs(model, example)
    modules = dict(model.named_modules())
    folded = 0
    for conv_name, bn_name in pairs:
        conv, bn = modules[conv_name], modules[bn_name]
        if conv_name in keep or bn.training or bn.running_mean is None:
            continue
        fold_into(conv, bn)
        parent_name, _, child = bn_name.rpartition(".")
        model.get_submodule(parent_name).__setattr__(child, after_normalisation(bn))
        folded += 1
    return folded


def conv_batchnorm_pairs(model: nn.Module, example: torch.Tensor) -> list[tuple[str, str]]:
    """(conv, batchnorm) names where, in one forward pass of ``example``, the BatchNorm's input is the conv's output."""
    outputs: dict[int, str] = {}
    pairs: list[tuple[str, str]] = []
    handles = []
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d):
            handles.append(module.register_forward_hook(lambda m, i, o, n=name: outputs.__setitem__(id(o), n)))
        elif isinstance(module, nn.BatchNorm2d):
            handles.append(module.register_forward_pre_hook(lambda m, i, n=name: _pair(i[0], n, outputs, pairs)))
    try:
        with torch.inference_mode():
            model(example)
    finally:
        for handle in handles:
            handle.remove()
    return pairs


def _pair(bn_input: torch.Tensor, bn_name: str, outputs: dict[int, str], pairs: list[tuple[str, str]]) -> None:
    conv_name = outputs.get(id(bn_input))
    if conv_name is not None:
        pairs.append((conv_name, bn_name))


def fold_into(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> None:
    """``W' = W · s``, ``b' = (b − μ) · s + β`` with ``s = γ / √(σ² + ε)``, in float64, written into ``conv``."""
    with torch.no_grad():
        scale = torch.rsqrt(bn.running_var.double() + bn.eps)
        if bn.weight is not None:
            scale = scale * bn.weight.double()
        bias = conv.bias.double() if conv.bias is not None else torch.zeros_like(scale)
        shift = (bias - bn.running_mean.double()) * scale + (bn.bias.double() if bn.bias is not None else 0)
        dtype = conv.weight.dtype
        conv.weight.copy_((conv.weight.double() * scale.view(-1, 1, 1, 1)).to(dtype))
        conv.folded_batchnorm = FoldedBatchNorm(float(bn.eps), conv.bias is not None)
        conv.bias = nn.Parameter(shift.to(dtype), requires_grad=conv.weight.requires_grad)


def after_normalisation(bn: nn.BatchNorm2d) -> nn.Module:
    """What ``bn`` does after normalising: timm's ``BatchNormAct2d`` runs ``drop`` then ``act``."""
    tail = [getattr(bn, part) for part in ("drop", "act") if isinstance(getattr(bn, part, None), nn.Module)]
    return nn.Sequential(*tail) if tail else nn.Identity()
