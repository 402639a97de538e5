"""One image's work, the same in every engine: decode, explain at each layer, score, and turn it into records.

A record is one row of the results: (image, true_class, predicted, target, target_label, layer, method,
measure, value, error). An image that cannot be evaluated (unreadable, too small, refused by ``explain``) gives
one record with only ``image`` and ``error`` set, so that an engine never stops on a bad file and a resumed run
does not try it again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import torch

from model_zoo import Backbone, load_backbone

from ..explainer import explain
from ..explanation_metrics import cached_baselines, score_maps
from ..images import DISPLAY_SIDE, load_image
from ..metrics import MetricSettings
from ..registry import METHODS
from ..scoring import scorer_for
from .dataset import Sample

MEASURES = {  # measure → which is better (the one-number measures of :meth:`.map_scores.MapScores.summary`)
    "deletion_auc": "lower",
    "insertion_auc": "higher",
    "rd": "higher",
    "road_morf": "lower",
    "road_lerf": "higher",
    "road_gap": "higher",
    "average_drop": "lower",  # this image's term of Average Drop %: 100 · max(0, Y − O) / Y
    "increase": "higher",  # this image's term of Increase in Confidence: 100 · 1[O > Y]
}
DEFAULT_MEASURES = ("deletion_auc", "insertion_auc", "rd")
TARGETS = ("predicted", "true")
LAYER_FREE_FAMILY = "optimisation"  # FGVis optimises a pixel mask: its map does not depend on the layer


@dataclass(frozen=True)
class RunSettings:
    """What a run computes. Two runs with equal settings give the same numbers, whatever the engine.

    ``target`` is ``"predicted"`` (explain the top-1 class) or ``"true"`` (the class of the image's folder,
    falling back to the top-1 when it has none); ``layers`` empty means the backbone's default layer. Methods
    that do not use the layer (FGVis) and, with ``baselines``, the random and centre-Gaussian reference maps
    (:mod:`..baseline_maps`) are scored at the first layer only.
    """

    backbone: str
    methods: tuple[str, ...]
    layers: tuple[str, ...] = ()
    measures: tuple[str, ...] = DEFAULT_MEASURES
    steps: int = 25
    target: str = "predicted"
    finer_gamma: float = 0.6
    weights: str | None = None
    baselines: bool = False

    def __post_init__(self) -> None:
        unknown = [measure for measure in self.measures if measure not in MEASURES]
        if unknown:
            raise ValueError(f"unknown measure(s) {', '.join(unknown)}; choose from {', '.join(MEASURES)}")
        unknown = [method_id for method_id in self.methods if method_id not in METHODS]
        if unknown or not self.methods:
            raise ValueError(
                f"unknown method id(s) {', '.join(unknown) or '(none given)'}; known: {', '.join(METHODS)}"
            )
        if self.target not in TARGETS:
            raise ValueError(f"target must be one of {', '.join(TARGETS)}, not {self.target!r}")
        MetricSettings(steps=self.steps)  # raises for a step count below 1

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> RunSettings:
        values = json.loads(text)
        return cls(**{key: tuple(value) if isinstance(value, list) else value for key, value in values.items()})


def ready_backbone(settings: RunSettings) -> Backbone:
    """The run's backbone, on the GPU when there is one, its scorer fixed to eager PyTorch in batches of 2 on a
    CPU and 32 on a GPU: a measured plan can differ between processes (engines, resumes), and so would the
    last bits of the rows."""
    backbone = load_backbone(settings.backbone, weights=settings.weights)
    if torch.cuda.is_available():
        backbone.model.to("cuda")
    scorer_for(backbone).fix("eager", 2 if backbone.device.type == "cpu" else 32)
    return backbone


def decode(sample: Sample, backbone: Backbone) -> tuple[torch.Tensor | None, str | None]:
    """(the preprocessed 1×3×H×W input, None), or (None, why the file cannot be used) for a bad file."""
    try:
        tensor, _ = backbone.preprocess(load_image(sample.path, max_side=DISPLAY_SIDE))
    except (ValueError, OSError) as error:  # ImageError is a ValueError
        return None, str(error) or type(error).__name__
    return tensor, None


def evaluate_image(
    backbone: Backbone, sample: Sample, tensor: torch.Tensor | None, error: str | None, settings: RunSettings
) -> list[dict]:
    """The records of one decoded image (see the module docstring); ``error`` set means decoding failed."""
    if tensor is None:
        return [failure(sample, error or "the image could not be decoded")]
    try:
        return _scored(backbone, sample, tensor.to(backbone.device), settings)
    except ValueError as refused:  # explain's one-sentence refusals (MethodNotApplicable is one)
        return [failure(sample, str(refused))]


def failure(sample: Sample, error: str) -> dict:
    return {"image": sample.key, "error": error}


def _scored(backbone: Backbone, sample: Sample, x: torch.Tensor, settings: RunSettings) -> list[dict]:
    explain_true = settings.target == "true" and sample.true_class >= 0
    target = sample.true_class if explain_true else None
    metric_settings = MetricSettings(steps=settings.steps)
    layers = settings.layers or (backbone.default_layer,)
    records = []
    for layer in layers:
        first = layer == layers[0]
        method_ids = methods_at(settings.methods, first)
        if not method_ids:
            continue
        result = explain(
            backbone, x, method_ids, target=target, layer=layer, finer_gamma=settings.finer_gamma,
            skip_inapplicable=True,
        )  # fmt: skip
        with_baselines = settings.baselines and first
        scores = score_maps(result, settings=metric_settings, baselines=with_baselines)
        if with_baselines:
            scores.update(cached_baselines(result, metric_settings))
        common = {
            "image": sample.key,
            "true_class": sample.true_class,
            "predicted": int(result.probs.argmax()),
            "target": int(result.target),
            "target_label": result.target_label,
            "layer": layer,
        }
        for method_id, method_scores in scores.items():
            values = method_scores.summary()
            records += [
                {**common, "method": method_id, "measure": measure, "value": float(values[measure])}
                for measure in settings.measures
            ]
    return records


def methods_at(method_ids: Sequence[str], first_layer: bool) -> list[str]:
    """The methods to explain at a layer: all at the run's first layer, those that use the layer at the others."""
    return [m for m in method_ids if first_layer or METHODS[m].family != LAYER_FREE_FAMILY]


def evaluate_samples(backbone: Backbone, samples: Sequence[Sample], settings: RunSettings) -> list[dict]:
    """Decode and evaluate ``samples`` one after the other (what each Ray actor does with its batch)."""
    records = []
    for sample in samples:
        tensor, error = decode(sample, backbone)
        records += evaluate_image(backbone, sample, tensor, error, settings)
    return records
