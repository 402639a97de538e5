"""``explain(...)``: one capture, then every requested map; and the :class:`Explanation` it returns."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import torch
from PIL import Image

from model_zoo import Backbone, Geometry, load_backbone

from .capture import Evidence, capture
from .finer import DEFAULT_ALPHA, DEFAULT_REFERENCES, combine, reference_weights
from .images import load_image
from .metrics import Faithfulness, MetricSettings, explanation_metrics, metric_key
from .optimization import FGVisResult, fgvis_result
from .postprocess import to_input_map
from .prompts import TargetView, link_prompts, prompt_targets, prompts_with_alpha
from .registry import METHODS, MethodInfo, unknown_methods
from .targets import class_targets

Tensor = torch.Tensor
SettingsT = TypeVar("SettingsT")
SIGNAL_FAMILIES = ("gradient", "finer")


class MethodNotApplicable(ValueError):
    """A method cannot run on this backbone and layer (for example CAM without a GAP + linear head)."""


@dataclass(frozen=True)
class MapContext:
    """Everything a method needs to build its map from one capture (and, for slow methods, the model)."""

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

    def signal(self, info: MethodInfo) -> Tensor:
        """The G (or, for CAM, the FC weight row) a gradient-family method is applied to.

        Finer variants get ``G_c − γ Σ_t π_t G_rt``; base methods get ``G_c``.
        """
        signals = self.evidence.gradients if not info.uses_head_weights else self.head_weights
        if signals is None:
            raise MethodNotApplicable(f"{info.name} needs a GAP + linear head after the chosen layer")
        if info.family == "finer":
            return combine(signals, self.gamma, self.reference_weights)
        return signals[0]


def compute_raw_map(info: MethodInfo, context: MapContext) -> Tensor:
    """The method's map before post-processing: on the layer grid (gradient family, Score-CAM, Abs-CAM) or the
    input grid (FGVis)."""
    if info.family in SIGNAL_FAMILIES and not info.takes_context:
        return info.fn(context.evidence.activations, context.signal(info))
    return info.fn(context)


@dataclass(frozen=True)
class Explanation:
    """Maps for one image, one backbone, one layer and one target.

    - ``maps[id]``: H×W float32 in [0, 1], aligned with ``input_tensor`` (1×3×H×W);
    - ``raw_maps[id]``: the signed map before post-processing, on the layer's grid;
    - ``target`` / ``target_label``, ``references`` / ``reference_labels`` (Finer-CAM), ``probs`` (softmax);
    - ``timings[id]``: seconds to build that map from the shared capture; ``capture_seconds``: the pass;
    - CLIP: ``target`` is a prompt, ``probs`` the zero-shot softmax over the class prompts, and
      ``per_prompt[prompt]`` one Explanation per prompt, all from the same capture (:mod:`.prompts`).
    """

    backbone: Backbone
    input_tensor: Tensor
    geometry: Geometry | None
    evidence: Evidence
    context: MapContext
    target: Hashable
    references: tuple[Hashable, ...]
    probs: Tensor
    finer_alpha: float
    finer_weighting: str
    maps: dict[str, np.ndarray]
    raw_maps: dict[str, Tensor]
    timings: dict[str, float]
    capture_seconds: float
    layer: str = field(default="")
    image: Image.Image | None = None
    metric_cache: dict[tuple, Faithfulness] = field(default_factory=dict, repr=False)
    per_prompt: dict[str, Explanation] = field(default_factory=dict, repr=False)

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

    def label(self, key: Hashable) -> str:
        labels = self.backbone.labels
        return labels[key] if labels and isinstance(key, int) else str(key)

    def top_k(self, k: int = 5) -> list[tuple[str, float]]:
        """The k most probable classes as (label, probability)."""
        values, indices = self.probs.topk(min(k, self.probs.numel()))
        return [(self.label(int(i)), float(v)) for v, i in zip(values, indices, strict=True)]

    def signed_map(self, method_id: str) -> np.ndarray:
        """The map without the ReLU: scaled by its largest magnitude into [-1, 1], input-aligned."""
        return _as_numpy(to_input_map(self.raw_maps[method_id], self.input_size, signed=True))

    @property
    def input_size(self) -> tuple[int, int]:
        return tuple(self.input_tensor.shape[-2:])

    def to_image(self, method_id: str, signed: bool = False) -> np.ndarray:
        """The map on the uploaded image's own size and alignment (zeros where the crop cut it away)."""
        input_map = self.signed_map(method_id) if signed else self.maps[method_id]
        return input_map if self.geometry is None else self.geometry.to_original(input_map)

    def gamma_of(self, method_id: str) -> float | None:
        """The Finer-CAM strength γ that the map ``method_id`` was built with; None for a map that does not
        depend on γ (every non-Finer method)."""
        return self.finer_alpha if METHODS[method_id].family == "finer" else None

    def with_alpha(self, gamma: float) -> Explanation:
        """A new Explanation with Finer-CAM strength ``gamma``: Finer maps are recombined from the cached
        gradients; no model call is made and every other map is shared (for every prompt, on CLIP). The metric
        cache is shared too: its Finer entries are keyed by γ, so scores computed on either copy serve both."""
        if self.per_prompt:
            return prompts_with_alpha(self, gamma)
        context = dataclasses.replace(self.context, gamma=float(gamma))
        finer_ids = [method_id for method_id in self.maps if self.gamma_of(method_id) is not None]
        maps, raw_maps, timings = dict(self.maps), dict(self.raw_maps), dict(self.timings)
        for method_id in finer_ids:
            raw_maps[method_id], maps[method_id], timings[method_id] = _build_map(METHODS[method_id], context)
        return dataclasses.replace(
            self,
            context=context,
            finer_alpha=float(gamma),
            maps=maps,
            raw_maps=raw_maps,
            timings=timings,
        )

    def fgvis_result(self) -> FGVisResult:
        """FGVis's full record: the exact mask, the explanation input, scores, steps and losses."""
        return fgvis_result(self.context)

    def fgvis_image(self) -> np.ndarray:
        """FGVis's explanation image ``e = x ⊙ m + (1 − m) ⊙ b`` (what the model sees) as H×W×3 uint8,
        aligned with ``input_tensor``; ``maps["fgvis"]`` is the mask to show beside it."""
        return self.backbone.preprocess.denormalise(self.fgvis_result().explanation)

    def metrics(self, method_id: str, settings: MetricSettings | None = None, **scoring: Any) -> Faithfulness:
        """Deletion / insertion AUC and RD@5% of one map, computed on demand and cached (:mod:`.metrics`)."""
        return self.metrics_for([method_id], settings, **scoring)[method_id]

    def cached_metrics(self, method_id: str, settings: MetricSettings | None = None) -> Faithfulness | None:
        """The metrics of one map if they were already computed with ``settings``, else None (no model call)."""
        return self.metric_cache.get(metric_key(self, method_id, settings or MetricSettings()))

    def metrics_for(
        self, method_ids: Sequence[str] | None = None, settings: MetricSettings | None = None, **scoring: Any
    ) -> dict[str, Faithfulness]:
        """Metrics of several maps (all when None); every map not yet cached is scored in shared batches.
        ``scoring`` takes ``batch_size``, ``progress`` and ``cancel``."""
        return explanation_metrics(self, self.method_ids if method_ids is None else method_ids, settings, **scoring)


def applicable_methods(backbone: Backbone, layer: str | None = None) -> list[str]:
    """The registered method ids that can run on ``backbone`` at ``layer``."""
    has_head = backbone.head_weights(layer) is not None
    return [method_id for method_id, info in METHODS.items() if has_head or not info.uses_head_weights]


def explain(
    backbone: Backbone | str,
    image: Image.Image | str | os.PathLike | Tensor,
    methods: Sequence[str],
    target: int | str | None = None,
    layer: str | None = None,
    finer_alpha: float = DEFAULT_ALPHA,
    finer_refs: int = DEFAULT_REFERENCES,
    finer_weighting: str = "uniform",
    options: Mapping[str, Mapping[str, Any]] | None = None,
    progress: Callable[[float, str], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    prompts: Sequence[str] | None = None,
    compare_prompts: Sequence[str] | None = None,
) -> Explanation:
    """Explain ``image`` with every method in ``methods`` from a single forward pass.

    ``backbone`` is a :class:`~model_zoo.Backbone` or a zoo name; ``image`` a PIL image, a path, or an
    already-preprocessed 1×3×H×W tensor; ``target`` a class index, a label name, or None for the top-1.
    ``options`` maps a method id to its keyword options (slow methods); ``progress(fraction, message)``
    and ``cancel() -> bool`` are passed to the methods that make their own model calls.
    On a CLIP backbone the targets are ``prompts`` (one Explanation each, in ``.per_prompt``) and Finer-CAM
    compares against ``compare_prompts`` (default: the nearest zero-shot class prompts); see :mod:`.prompts`.
    """
    if isinstance(backbone, str):
        backbone = load_backbone(backbone)
    methods = list(dict.fromkeys(methods))
    _check_request(backbone, methods, layer, finer_refs, finer_weighting)
    prompting = prompt_targets(backbone, target, prompts, compare_prompts, finer_refs)
    picture = None if isinstance(image, Tensor) else load_image(image)
    input_tensor, geometry = (image.to(backbone.device), None) if picture is None else backbone.prepare(picture)
    _check_tensor(input_tensor)

    started = time.perf_counter()
    choose = class_targets(backbone, target, finer_refs) if prompting is None else prompting
    evidence = capture(backbone, input_tensor, choose, layer)
    capture_seconds = time.perf_counter() - started
    if prompting is None:
        probs = evidence.output[0].float().softmax(dim=-1)
        views = [TargetView(evidence, probs, probs[list(evidence.keys[1:])])]
    else:
        views = prompting.views(evidence)

    def explained(view: TargetView) -> Explanation:
        head = backbone.head_weights(view.evidence.layer)
        context = MapContext(
            backbone=backbone,
            input_tensor=input_tensor,
            evidence=view.evidence,
            gamma=float(finer_alpha),
            reference_weights=reference_weights(view.reference_probs, finer_weighting),
            head_weights=None if head is None else head[list(view.evidence.keys)],
            options=dict(options or {}),
            progress=progress,
            cancel=cancel,
        )
        maps, raw_maps, timings = {}, {}, {}
        for method_id in methods:
            raw_maps[method_id], maps[method_id], timings[method_id] = _build_map(METHODS[method_id], context)
        return Explanation(
            backbone=backbone,
            input_tensor=input_tensor,
            geometry=geometry,
            evidence=view.evidence,
            context=context,
            target=view.evidence.keys[0],
            references=tuple(view.evidence.keys[1:]),
            probs=view.probs,
            finer_alpha=float(finer_alpha),
            finer_weighting=finer_weighting,
            maps=maps,
            raw_maps=raw_maps,
            timings=timings,
            capture_seconds=capture_seconds,
            layer=view.evidence.layer,
            image=picture,
        )

    explanations = [explained(view) for view in views]
    return explanations[0] if prompting is None else link_prompts(explanations)


def _build_map(info: MethodInfo, context: MapContext) -> tuple[Tensor, np.ndarray, float]:
    started = time.perf_counter()
    raw = compute_raw_map(info, context)
    input_map = _as_numpy(to_input_map(raw, tuple(context.input_tensor.shape[-2:])))
    return raw.detach(), input_map, time.perf_counter() - started


def _as_numpy(input_map: Tensor) -> np.ndarray:
    return input_map.detach().cpu().numpy().astype(np.float32, copy=False)


def _check_request(backbone: Backbone, methods: list[str], layer: str | None, refs: int, weighting: str) -> None:
    if not methods:
        raise ValueError("choose at least one method")
    unknown = unknown_methods(methods)
    if unknown:
        raise ValueError(f"unknown method id(s) {', '.join(unknown)}; known ids: {', '.join(METHODS)}")
    backbone.module(layer)  # raises a ValueError naming the layers when `layer` is not selectable
    not_applicable = [m for m in methods if m not in applicable_methods(backbone, layer)]
    if not_applicable:
        raise MethodNotApplicable(
            f"{', '.join(METHODS[m].name for m in not_applicable)} only applies to a layer that feeds a "
            f"global-average-pool + linear head; {backbone.display_name} layer "
            f"{layer or backbone.default_layer!r} does not"
        )
    if refs < 1:
        raise ValueError("finer_refs must be at least 1")
    reference_weights(torch.ones(1), weighting)  # raises on an unknown weighting


def _check_tensor(input_tensor: Tensor) -> None:
    if input_tensor.dim() != 4 or input_tensor.shape[:2] != (1, 3):
        raise ValueError(f"an input tensor must be 1×3×H×W, got {tuple(input_tensor.shape)}")
