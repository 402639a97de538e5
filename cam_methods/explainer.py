"""``explain(...)``: check the request once, capture once, then build every requested map.

This is the one place where a request is validated (image, methods, layer, Finer-CAM settings, prompts):
callers pass what the user gave and show the sentence of the ValueError it raises, or, with
``skip_inapplicable=True``, the methods it skipped (``Explanation.skipped``).
"""

from __future__ import annotations

import dataclasses
import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from PIL import Image

from model_zoo import Backbone, Geometry, load_backbone

# Importing the families registers their methods, in the order they are listed: shared pass first, slow last.
# isort: off
from . import gradient, fgvis, score_cam  # noqa: F401

# isort: on
from .capture import Evidence, capture_layers
from .context import MapContext, MethodNotApplicable, build_map
from .explanation import Explanation, link_layers, link_prompts
from .finer import (
    DEFAULT_GAMMA,
    DEFAULT_REFERENCES,
    check_gamma,
    check_references,
    reference_weights,
    register_finer_variants,
)
from .images import load_image
from .layer_sweep import swept_layers
from .prompts import PromptTargets, TargetView, prompt_targets
from .registry import METHODS
from .scoring import Cancelled
from .targets import class_targets

Tensor = torch.Tensor
register_finer_variants()


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
    finer_gamma: float = DEFAULT_GAMMA,
    finer_refs: int = DEFAULT_REFERENCES,
    finer_weighting: str = "uniform",
    options: Mapping[str, Mapping[str, Any]] | None = None,
    progress: Callable[[float, str], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    prompts: Sequence[str] | None = None,
    compare_prompts: Sequence[str] | None = None,
    skip_inapplicable: bool = False,
    keep_finished: bool = False,
    layers: Sequence[str] | str | None = None,
    **deprecated: Any,
) -> Explanation:
    """Explain ``image`` with every method in ``methods`` from a single forward pass.

    ``backbone`` is a :class:`~model_zoo.Backbone` or a zoo name; ``image`` a PIL image, a path, or an
    already-preprocessed 1×3×H×W tensor; ``target`` a class index, a label name, or None for the top-1.
    ``finer_gamma`` is Finer-CAM's γ in [0, 10] (``finer_alpha`` is its deprecated name), ``finer_refs``
    the number T of references (1…50). ``options`` maps a method id to its keyword options (slow methods);
    ``progress(fraction, message)`` and ``cancel() -> bool`` are passed to the methods that make their own
    model calls. On a CLIP backbone the targets are ``prompts`` (one Explanation each, in ``.per_prompt``)
    and Finer-CAM compares against ``compare_prompts`` (default: the nearest zero-shot class prompts).
    Methods that cannot run at this layer raise :class:`MethodNotApplicable`, or with
    ``skip_inapplicable=True`` are listed with the reason in ``Explanation.skipped``. A cancel raises
    :class:`Cancelled`, or with ``keep_finished=True`` returns the maps done so far and lists the rest in
    ``Explanation.unfinished``. ``layers=[...]`` or ``"all"``: the maps at every such layer, in ``.per_layer``,
    from the same single capture; the Explanation at ``layer`` (default: the default layer, if swept, else the
    deepest) is returned.
    """
    finer_gamma = _renamed_gamma(finer_gamma, deprecated)
    if isinstance(backbone, str):
        backbone = load_backbone(backbone)
    chosen, shown = swept_layers(backbone, layers, layer)
    plans = {name: _runnable(backbone, list(dict.fromkeys(methods)), name, skip_inapplicable) for name in chosen}
    check_references(finer_refs)
    reference_weights(torch.ones(1), finer_weighting)  # raises on an unknown weighting
    prompting = prompt_targets(backbone, target, prompts, compare_prompts, finer_refs)
    picture = None if isinstance(image, Tensor) else load_image(image)
    input_tensor, geometry = (_checked_tensor(image, backbone), None) if picture is None else backbone.prepare(picture)

    started = time.perf_counter()
    choose = class_targets(backbone, target, finer_refs) if prompting is None else prompting
    head = backbone.head_weights(chosen[0]) if prompting is None and len(chosen) == 1 else None
    evidence = capture_layers(backbone, input_tensor, choose, chosen, _differentiated(plans, prompting), head)
    run = _Run(
        backbone, input_tensor, geometry, picture, [], {}, finer_gamma, finer_weighting,
        time.perf_counter() - started, dict(options or {}), progress, cancel, keep_finished,
    )  # fmt: skip
    by_layer = {
        name: dataclasses.replace(run, methods=methods_here, skipped=skipped_here).explained(evidence[name], prompting)
        for name, (methods_here, skipped_here) in plans.items()
    }
    return by_layer[shown] if layers is None else link_layers(by_layer, shown)


@dataclass(frozen=True)
class _Run:
    """What every target of one capture shares; :meth:`explanation` builds one target's maps."""

    backbone: Backbone
    input_tensor: Tensor
    geometry: Geometry | None
    picture: Image.Image | None
    methods: list[str]
    skipped: dict[str, str]
    gamma: float
    weighting: str
    capture_seconds: float
    options: Mapping[str, Mapping[str, Any]]
    progress: Callable[[float, str], None] | None
    cancel: Callable[[], bool] | None
    keep_finished: bool

    def explained(self, evidence: Evidence, prompting: PromptTargets | None) -> Explanation:
        """The Explanation of one layer's evidence: the target's, or on CLIP the first prompt's (linked)."""
        if prompting is None:
            probs = evidence.output[0].float().softmax(dim=-1)
            return self.explanation(TargetView(evidence, probs, probs[list(evidence.keys[1:])]))
        return link_prompts([self.explanation(view) for view in prompting.views(evidence)])

    def explanation(self, view: TargetView) -> Explanation:
        head = self.backbone.head_weights(view.evidence.layer)
        context = MapContext(
            backbone=self.backbone,
            input_tensor=self.input_tensor,
            evidence=view.evidence,
            gamma=self.gamma,
            reference_weights=reference_weights(view.reference_probs, self.weighting),
            head_weights=None if head is None else head[list(view.evidence.keys)],
            options=self.options,
            progress=self.progress,
            cancel=self.cancel,
        )
        maps, raw_maps, timings, unfinished = {}, {}, {}, ()
        for number, method_id in enumerate(self.methods):
            try:
                raw_maps[method_id], maps[method_id], timings[method_id] = build_map(METHODS[method_id], context)
            except Cancelled:
                if not self.keep_finished:
                    raise
                unfinished = tuple(self.methods[number:])
                break
        return Explanation(
            backbone=self.backbone,
            input_tensor=self.input_tensor,
            geometry=self.geometry,
            evidence=view.evidence,
            context=context,
            target=view.evidence.keys[0],
            references=tuple(view.evidence.keys[1:]),
            probs=view.probs,
            finer_gamma=self.gamma,
            finer_weighting=self.weighting,
            maps=maps,
            raw_maps=raw_maps,
            timings=timings,
            capture_seconds=self.capture_seconds,
            layer=view.evidence.layer,
            image=self.picture,
            skipped=dict(self.skipped),
            unfinished=unfinished,
        )


def _differentiated(plans: dict[str, tuple[list[str], dict[str, str]]], prompting: PromptTargets | None) -> int | None:
    """How many keys the capture back-propagates: the target alone (1) when no Finer map is asked for on a
    classifier, else all (None): the references' gradients would be wasted without one."""
    finer = any(METHODS[method_id].family == "finer" for methods, _ in plans.values() for method_id in methods)
    return None if finer or prompting is not None else 1


def _renamed_gamma(finer_gamma: float, deprecated: dict[str, Any]) -> float:
    """``finer_gamma``, or the deprecated ``finer_alpha=`` keyword with a DeprecationWarning; checked."""
    if "finer_alpha" in deprecated:
        warnings.warn("explain(finer_alpha=...) is now finer_gamma=...", DeprecationWarning, stacklevel=3)
        finer_gamma = deprecated.pop("finer_alpha")
    if deprecated:
        raise TypeError(f"explain() got unexpected keyword argument(s) {', '.join(deprecated)}")
    return check_gamma(finer_gamma)


def _runnable(
    backbone: Backbone, methods: list[str], layer: str | None, skip_inapplicable: bool
) -> tuple[list[str], dict[str, str]]:
    """The methods to run and, when skipping, {id: reason} for the others; a ValueError for a bad request."""
    if not methods:
        raise ValueError("choose at least one method")
    unknown = [method_id for method_id in methods if method_id not in METHODS]
    if unknown:
        raise ValueError(f"unknown method id(s) {', '.join(map(str, unknown))}; known ids: {', '.join(METHODS)}")
    backbone.module(layer)  # raises a ValueError naming the layers when `layer` is not selectable
    applicable = set(applicable_methods(backbone, layer))
    reason = (
        f"only applies to a layer that feeds a global-average-pool + linear head; {backbone.display_name} "
        f"layer {layer or backbone.default_layer!r} does not"
    )
    skipped = {method_id: reason for method_id in methods if method_id not in applicable}
    if skipped and not skip_inapplicable:
        raise MethodNotApplicable(f"{', '.join(METHODS[m].name for m in skipped)} {reason}")
    runnable = [method_id for method_id in methods if method_id in applicable]
    if not runnable:
        raise MethodNotApplicable(f"none of the chosen methods applies here: {', '.join(skipped)} {reason}")
    return runnable, skipped


def _checked_tensor(image: Tensor, backbone: Backbone) -> Tensor:
    if image.dim() != 4 or image.shape[:2] != (1, 3):
        raise ValueError(f"an input tensor must be 1×3×H×W, got {tuple(image.shape)}")
    if not torch.isfinite(image).all():
        raise ValueError("the input tensor has NaN or infinite values")
    return image.to(backbone.device)
