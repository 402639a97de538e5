"""The map context: what every method is given (one capture, the model, Finer-CAM's settings), and
:func:`build_map`, the one place a method is called, post-processed and timed."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import torch

from model_zoo import Backbone

from .capture import Evidence
from .finer import combine
from .postprocess import to_input_map
from .registry import MethodInfo

Tensor = torch.Tensor
SettingsT = TypeVar("SettingsT")


class MethodNotApplicable(ValueError):
    """A method cannot run on this backbone and layer (for example CAM without a GAP + linear head)."""


@dataclass(frozen=True)
class MapContext:
    """Everything a method needs to build its map from one capture (and, for slow methods, the model).

    ``cache`` is shared by the methods of one explanation (Score-CAM's masked scores, FGVis's run)."""

    backbone: Backbone
    input_tensor: Tensor
    evidence: Evidence
    gamma: float
    reference_weights: Tensor
    head_weights: Tensor | None
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    progress: Callable[[float, str], None] | None = None
    cancel: Callable[[], bool] | None = None
    cache: dict[str, Any] = field(default_factory=dict)

    def settings(self, settings_type: type[SettingsT], *method_ids: str) -> SettingsT:
        """The options of ``method_ids`` merged in order (later ids win) into a ``settings_type`` dataclass;
        missing keys keep its defaults, unknown keys raise a ValueError naming the known ones."""
        given = {key: value for method_id in method_ids for key, value in self.options.get(method_id, {}).items()}
        known = {option.name for option in dataclasses.fields(settings_type)}
        unknown = sorted(set(given) - known)
        if unknown:
            raise ValueError(
                f"unknown option(s) {', '.join(unknown)} for {' / '.join(method_ids)}; "
                f"known: {', '.join(sorted(known))}"
            )
        return settings_type(**given)

    def signal(self, finer: bool, uses_head_weights: bool) -> Tensor:
        """The G a shared-pass method is applied to (the FC weight rows for CAM): ``G_c`` for a base method,
        ``G_c − γ Σ_t π_t G_rt`` for a Finer variant."""
        signals = self.head_weights if uses_head_weights else self.evidence.gradients
        if signals is None:
            raise MethodNotApplicable("this method needs a GAP + linear head after the chosen layer")
        return combine(signals, self.gamma, self.reference_weights) if finer else signals[0]


def build_map(info: MethodInfo, context: MapContext) -> tuple[Tensor, np.ndarray, float]:
    """Run one method: (raw map, input-aligned map in [0, 1], seconds).

    The raw map is on the layer's grid for every method except FGVis, whose mask is on the input grid."""
    started = time.perf_counter()
    raw = info.fn(context)
    input_map = as_numpy(to_input_map(raw, tuple(context.input_tensor.shape[-2:])))
    return raw.detach(), input_map, time.perf_counter() - started


def as_numpy(input_map: Tensor) -> np.ndarray:
    """A map tensor as float32 NumPy, wherever it lives."""
    return input_map.detach().cpu().numpy().astype(np.float32, copy=False)
