"""The :class:`Explanation` record that ``explain`` returns: the maps of one image, backbone, layer and
target, with what they were computed from, and the cheap operations on it (labels, top-k, signed maps,
maps on the uploaded image, and a new Finer-CAM strength γ without a model call).

Metrics (:mod:`.explanation_metrics`) and FGVis's record (:mod:`.fgvis`) are functions that take an
Explanation; this file calls neither.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from PIL import Image

from model_zoo import Backbone, Geometry

from .capture import Evidence
from .context import MapContext, as_numpy, build_map
from .diagnostics import diagnose
from .finer import check_gamma
from .postprocess import to_input_map
from .prediction import top_classes
from .registry import METHODS

Tensor = torch.Tensor


@dataclass(frozen=True)
class Explanation:
    """Maps for one image, one backbone, one layer and one target.

    - ``maps[id]``: H×W float32 in [0, 1], aligned with ``input_tensor`` (1×3×H×W);
    - ``raw_maps[id]``: the signed map before post-processing, on the layer's grid (FGVis: the input grid);
    - ``target`` / ``target_label``, ``references`` / ``reference_labels`` (Finer-CAM), ``probs`` (softmax);
    - ``finer_gamma``: the Finer-CAM strength γ of the Finer maps;
    - ``timings[id]``: seconds to build that map from the shared capture; ``capture_seconds``: the pass;
    - ``skipped[id]``: why a requested method was not run (``explain(..., skip_inapplicable=True)``);
    - ``unfinished``: the requested methods a cancel stopped before their map was done
      (``explain(..., keep_finished=True)``; the finished maps are kept);
    - ``diagnosis(id)``: why a map is blank or noise, in one sentence (None when it is not);
    - CLIP: ``target`` is a prompt, ``probs`` the zero-shot softmax over the class prompts, and
      ``per_prompt[prompt]`` one Explanation per prompt, all from the same capture;
    - ``per_layer[layer]``: after ``explain(..., layers=[...])``, this target's Explanation at every chosen
      layer (shallow to deep), all from the same capture (see :func:`link_layers`).
    """

    backbone: Backbone
    input_tensor: Tensor
    geometry: Geometry | None
    evidence: Evidence
    context: MapContext
    target: Hashable
    references: tuple[Hashable, ...]
    probs: Tensor
    finer_gamma: float
    finer_weighting: str
    maps: dict[str, np.ndarray]
    raw_maps: dict[str, Tensor]
    timings: dict[str, float]
    capture_seconds: float
    layer: str = field(default="")
    image: Image.Image | None = None
    skipped: dict[str, str] = field(default_factory=dict)
    unfinished: tuple[str, ...] = ()
    metric_cache: dict[tuple, Any] = field(default_factory=dict, repr=False)
    per_prompt: dict[str, Explanation] = field(default_factory=dict, repr=False)
    per_layer: dict[str, Explanation] = field(default_factory=dict, repr=False)

    @property
    def picture(self) -> Image.Image:
        """The uploaded image (validated RGB), or the input tensor turned back into a picture."""
        if self.image is not None:
            return self.image
        return Image.fromarray(self.backbone.preprocess.denormalise(self.input_tensor))

    @property
    def method_ids(self) -> list[str]:
        return list(self.maps)

    @property
    def target_label(self) -> str:
        return self.label(self.target)

    @property
    def reference_labels(self) -> list[str]:
        return [self.label(key) for key in self.references]

    @property
    def input_size(self) -> tuple[int, int]:
        return tuple(self.input_tensor.shape[-2:])

    def label(self, key: Hashable) -> str:
        labels = self.backbone.labels
        return labels[key] if labels and isinstance(key, int) else str(key)

    def top_k(self, k: int = 5) -> list[tuple[str, float]]:
        """The k most probable classes as (label, probability)."""
        return [(self.label(index), prob) for index, prob in top_classes(self.probs, k)]

    def signed_map(self, method_id: str) -> np.ndarray:
        """The map without the ReLU: scaled by its largest magnitude into [-1, 1], input-aligned."""
        return as_numpy(to_input_map(self.raw_maps[method_id], self.input_size, signed=True))

    def to_image(self, method_id: str, signed: bool = False) -> np.ndarray:
        """The map on the uploaded image's own size and alignment (zeros where the crop cut it away)."""
        input_map = self.signed_map(method_id) if signed else self.maps[method_id]
        return input_map if self.geometry is None else self.geometry.to_original(input_map)

    def diagnosis(self, method_id: str) -> str | None:
        """Why the map ``method_id`` is blank (all zero, not finite) or only rounding noise, in one sentence
        (for example "the gradient did not reach this layer: …"); None when the map shows something."""
        return diagnose(METHODS[method_id], self.raw_maps[method_id], self.maps[method_id], self.evidence)

    def gamma_of(self, method_id: str) -> float | None:
        """The Finer-CAM strength γ that the map ``method_id`` was built with; None for a map that does not
        depend on γ (every non-Finer method)."""
        return self.finer_gamma if METHODS[method_id].family == "finer" else None

    def with_gamma(self, gamma: float) -> Explanation:
        """A new Explanation with Finer-CAM strength ``gamma``: Finer maps are recombined from the cached
        gradients (or Score-CAM's cached scores); no model call is made and every other map is shared (for
        every prompt, on CLIP, and every layer of a sweep). The metric cache is shared too: its Finer entries
        are keyed by γ."""
        gamma = check_gamma(gamma)
        if self.per_layer:
            by_layer = {layer: _prompts_recombined(part, gamma) for layer, part in self.per_layer.items()}
            return link_layers(by_layer, self.layer)
        return _prompts_recombined(self, gamma)

    @property
    def finer_alpha(self) -> float:
        """Deprecated name of :attr:`finer_gamma` (kept for one release)."""
        warnings.warn("Explanation.finer_alpha is now finer_gamma", DeprecationWarning, stacklevel=2)
        return self.finer_gamma

    def with_alpha(self, gamma: float) -> Explanation:
        """Deprecated name of :meth:`with_gamma` (kept for one release)."""
        warnings.warn("Explanation.with_alpha is now with_gamma", DeprecationWarning, stacklevel=2)
        return self.with_gamma(gamma)


def _prompts_recombined(explanation: Explanation, gamma: float) -> Explanation:
    """``explanation`` and, on CLIP, its sibling prompts recombined at ``gamma``; returns its own target's."""
    parts = list(explanation.per_prompt.values()) or [explanation]
    recombined = [_recombined(part, gamma) for part in parts]
    if not explanation.per_prompt:
        return recombined[0]
    return link_prompts(recombined).per_prompt[explanation.target]


def _recombined(explanation: Explanation, gamma: float) -> Explanation:
    """One target's Explanation with its Finer maps rebuilt at ``gamma`` (``per_prompt`` left to the caller)."""
    context = dataclasses.replace(explanation.context, gamma=gamma)
    maps, raw_maps, timings = dict(explanation.maps), dict(explanation.raw_maps), dict(explanation.timings)
    for method_id in explanation.maps:
        if explanation.gamma_of(method_id) is not None:
            raw_maps[method_id], maps[method_id], timings[method_id] = build_map(METHODS[method_id], context)
    return dataclasses.replace(
        explanation, context=context, finer_gamma=gamma, maps=maps, raw_maps=raw_maps, timings=timings
    )


def link_prompts(explanations: Sequence[Explanation]) -> Explanation:
    """Give every per-prompt Explanation the same ``per_prompt`` dict; return the first prompt's."""
    per_prompt: dict[str, Explanation] = {}
    linked = [dataclasses.replace(explanation, per_prompt=per_prompt) for explanation in explanations]
    per_prompt.update((explanation.target, explanation) for explanation in linked)
    return linked[0]


def link_layers(by_layer: Mapping[str, Explanation], shown: str) -> Explanation:
    """Link one capture's Explanations at several layers: every target (every prompt, on CLIP) gets one
    ``per_layer`` dict {layer: its Explanation there}, in the order of ``by_layer``. ``by_layer[layer]`` is
    one target's Explanation at that layer (with its ``per_prompt`` on CLIP); the same target's Explanation
    at layer ``shown`` is returned."""
    per_layer: dict[Hashable, dict[str, Explanation]] = {}
    for layer, explanation in by_layer.items():
        parts = list(explanation.per_prompt.values()) or [explanation]
        parts = [dataclasses.replace(part, per_layer=per_layer.setdefault(part.target, {})) for part in parts]
        linked = link_prompts(parts) if explanation.per_prompt else parts[0]
        for part in list(linked.per_prompt.values()) or [linked]:
            part.per_layer[layer] = part
    return per_layer[by_layer[shown].target][shown]
