"""The method registry: every explanation method, by id, with its name, family, paper and formula.

The app, the CLI and the docs read this table; nothing else lists methods. Families:

- ``gradient``: a pure function ``fn(A, G) -> map`` of the layer activations A (K×h×w) and a gradient
  G (K×h×w). CAM takes the FC weight row w (K) instead of G (``uses_head_weights``).
- ``finer``: Finer-CAM on a gradient base (``base`` names it): the same function applied to the
  recombined signal ``G_c − γ Σ π_t G_rt`` (see :mod:`cam_methods.finer`).
- ``perturbation`` / ``optimisation``: ``fn(context) -> map``; they make their own model calls.

``takes_context`` marks a ``finer`` method whose ``fn`` is ``fn(context)`` too (Finer-Score-CAM): it
recombines cached scores of the target and its references instead of gradients.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

Tensor = torch.Tensor


@dataclass(frozen=True)
class MethodInfo:
    """One method: ``id`` as used in the API, a display ``name``, its ``family``, ``paper`` and ``formula``."""

    id: str
    name: str
    family: str
    paper: str
    formula: str
    fn: Callable
    uses_head_weights: bool = False
    class_specific: bool = True
    slow: bool = False
    base: str | None = None
    takes_context: bool = False


METHODS: dict[str, MethodInfo] = {}


def register(info: MethodInfo) -> MethodInfo:
    if info.id in METHODS:
        raise ValueError(f"method id {info.id!r} is registered twice")
    METHODS[info.id] = info
    return info


def gradient_method(
    id: str, name: str, paper: str, formula: str, *, uses_head_weights: bool = False, class_specific: bool = True
) -> Callable[[Callable[[Tensor, Tensor], Tensor]], Callable[[Tensor, Tensor], Tensor]]:
    """Decorator registering ``fn(A, G) -> h×w map`` as a gradient-family method."""

    def decorate(fn: Callable[[Tensor, Tensor], Tensor]) -> Callable[[Tensor, Tensor], Tensor]:
        register(MethodInfo(id, name, "gradient", paper, formula, fn, uses_head_weights, class_specific))
        return fn

    return decorate


def context_method(
    id: str, name: str, family: str, paper: str, formula: str, **flags: Any
) -> Callable[[Callable[..., Tensor]], Callable[..., Tensor]]:
    """Decorator registering ``fn(context) -> map`` (a method that makes its own model calls) as slow."""

    def decorate(fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
        register(MethodInfo(id, name, family, paper, formula, fn, slow=True, **flags))
        return fn

    return decorate


def unknown_methods(method_ids: list[str] | tuple[str, ...]) -> list[str]:
    return [method_id for method_id in method_ids if method_id not in METHODS]
