"""CAM Studio's engine: one capture, many maps.

from model_zoo import load_backbone
from cam_methods import explain, sanity_check, score_maps

backbone = load_backbone("efficientnet_lite0")
result = explain(backbone, "assets/chelsea.png", ["gradcam", "hirescam", "finer-gradcam"])
result.maps["hirescam"]          # 224×352 float32 in [0, 1] (the whole 451×300 photo), aligned with result.input_tensor
result.with_gamma(1.0)           # new Finer-CAM strength, no model call
score_maps(result)["hirescam"]   # faithfulness, scored on demand and cached
sanity_check(backbone, "assets/chelsea.png", ["gradcam"]).similarity["gradcam"]  # Adebayo et al.'s checks

Layers, from the bottom: ``registry`` (the method table) and ``capture`` (one forward, one short vectorised backward);
``context`` (what a method is given); the method families ``gradient``, ``finer``, ``score_cam``,
``fgvis``; the ``explanation`` record; ``explainer`` (``explain`` itself); then metrics, render, export,
the sanity checks (``sanity``, on ``randomisation`` and ``comparison``) and the CLI.
"""

from .capture import Evidence, Targets, capture, capture_layers
from .comparison import MapComparison, agreement_matrix, compare_maps
from .context import MapContext, MethodNotApplicable
from .explainer import applicable_methods, explain
from .explanation import Explanation
from .explanation_metrics import cached_baselines, cached_faithfulness, score_maps
from .fgvis import FGVisResult, fgvis_image, fgvis_result
from .images import ImageError, load_image
from .map_scores import MapScores
from .metrics import Faithfulness, MetricSettings
from .pointing_game import pointing_game
from .prediction import predict, top_classes
from .registry import METHODS, MethodInfo, shared_pass_methods
from .road import RoadSettings
from .sanity import SanityCheck, SanityCost, sanity_check, sanity_cost
from .scoring import Cancelled

SHARED_PASS_METHODS = shared_pass_methods()

__all__ = [
    "METHODS",
    "SHARED_PASS_METHODS",
    "Cancelled",
    "Evidence",
    "Explanation",
    "FGVisResult",
    "Faithfulness",
    "ImageError",
    "MapComparison",
    "MapContext",
    "MapScores",
    "MethodInfo",
    "MethodNotApplicable",
    "MetricSettings",
    "SanityCheck",
    "SanityCost",
    "RoadSettings",
    "Targets",
    "agreement_matrix",
    "applicable_methods",
    "cached_baselines",
    "cached_faithfulness",
    "capture",
    "capture_layers",
    "compare_maps",
    "explain",
    "fgvis_image",
    "fgvis_result",
    "load_image",
    "pointing_game",
    "predict",
    "sanity_check",
    "sanity_cost",
    "score_maps",
    "top_classes",
]
