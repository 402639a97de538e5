"""The method registry: every explanation method, by id, with its name, family, paper and formula.

The app, the CLI and the docs read this table; nothing else lists methods. Every method is called the
same way, ``info.fn(context) -> raw map`` with the :class:`~cam_methods.context.MapContext` of one capture.
Families (shown in the Learn tab):

- ``gradient``: maps built from the activations A and one gradient G of the shared capture;
- ``activation``: maps from the activations alone, no gradient (Eigen-CAM; class-agnostic);
- ``finer``: Finer-CAM on a class-specific base (``base`` names it), explaining ``y_c − γ Σ_t π_t y_rt``;
- ``perturbation`` / ``optimisation``: methods that make their own model calls (``slow``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

Tensor = torch.Tensor
MapContext = Any  # a cam_methods.context.MapContext; the registry sits below it and does not import it
SHARED_PASS_FAMILIES = ("gradient", "activation")


@dataclass(frozen=True)
class MethodInfo:
    """One method: ``id`` as used in the API, a display ``name``, its ``family``, ``paper`` and ``formula``.

    ``fn(context)`` builds the raw map. ``pure`` is the ``fn(A, G)`` function behind a shared-pass method
    (Finer variants reuse it on the recombined gradient); None for methods with their own model calls.
    """

    id: str
    name: str
    family: str
    paper: str
    formula: str
    fn: Callable[[MapContext], Tensor]
    pure: Callable[[Tensor, Tensor], Tensor] | None = None
    uses_head_weights: bool = False
    class_specific: bool = True
    slow: bool = False
    base: str | None = None


METHODS: dict[str, MethodInfo] = {}


def register(info: MethodInfo) -> MethodInfo:
    if info.id in METHODS:
        raise ValueError(f"method id {info.id!r} is registered twice")
    METHODS[info.id] = info
    return info


def on_signal(pure: Callable[[Tensor, Tensor], Tensor], finer: bool, uses_head_weights: bool) -> Callable:
    """``context -> pure(A, signal)``: the signal is G_c (or the FC row for CAM), recombined for Finer. The
    wrapper keeps the pure function's name and docstring (its formula)."""

    @functools.wraps(pure)
    def method(context: MapContext) -> Tensor:
        return pure(context.evidence.activations, context.signal(finer, uses_head_weights))

    return method


def gradient_method(
    id: str, name: str, paper: str, formula: str, *, uses_head_weights: bool = False, class_specific: bool = True
) -> Callable[[Callable[[Tensor, Tensor], Tensor]], Callable[[Tensor, Tensor], Tensor]]:
    """Decorator registering ``pure(A, G) -> h×w map`` as a shared-pass method; the function stays pure.

    A method that is not class-specific ignores G and belongs to the ``activation`` family."""

    def decorate(pure: Callable[[Tensor, Tensor], Tensor]) -> Callable[[Tensor, Tensor], Tensor]:
        family = "gradient" if class_specific else "activation"
        fn = on_signal(pure, finer=False, uses_head_weights=uses_head_weights)
        register(MethodInfo(id, name, family, paper, formula, fn, pure, uses_head_weights, class_specific))
        return pure

    return decorate


def context_method(
    id: str, name: str, family: str, paper: str, formula: str, base: str | None = None
) -> Callable[[Callable[[MapContext], Tensor]], Callable[[MapContext], Tensor]]:
    """Decorator registering ``fn(context) -> map``, a method that makes its own model calls, as slow."""

    def decorate(fn: Callable[[MapContext], Tensor]) -> Callable[[MapContext], Tensor]:
        register(MethodInfo(id, name, family, paper, formula, fn, slow=True, base=base))
        return fn

    return decorate


def shared_pass_methods() -> tuple[str, ...]:
    """The base methods that every capture gives at no extra model call (gradient family and Eigen-CAM)."""
    return tuple(method_id for method_id, info in METHODS.items() if info.family in SHARED_PASS_FAMILIES)
