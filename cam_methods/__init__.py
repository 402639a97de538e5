"""CAM Studio's engine: one capture, many maps.

from model_zoo import load_backbone
from cam_methods import explain, METHODS

backbone = load_backbone("efficientnet_lite0")
result = explain(backbone, "assets/chelsea.png", ["gradcam", "hirescam", "finer-gradcam"])
result.maps["hirescam"]          # 224×224 float32 in [0, 1], aligned with result.input_tensor
result.with_alpha(1.0)           # new Finer strength, no model call
"""

from . import gradient, optimization, perturbation  # noqa: F401  (register the method families)
from .capture import Evidence, Targets, capture
from .explanation import Explanation, MapContext, MethodNotApplicable, applicable_methods, explain
from .finer import register_finer_variants
from .images import ImageError, load_image
from .metrics import Faithfulness, MetricSettings, pointing_game
from .registry import METHODS, MethodInfo
from .scoring import Cancelled

register_finer_variants()

GRADIENT_METHODS = tuple(m for m, info in METHODS.items() if info.family == "gradient")

__all__ = [
    "GRADIENT_METHODS",
    "METHODS",
    "Cancelled",
    "Evidence",
    "Explanation",
    "Faithfulness",
    "ImageError",
    "MapContext",
    "MethodInfo",
    "MethodNotApplicable",
    "MetricSettings",
    "Targets",
    "applicable_methods",
    "capture",
    "explain",
    "load_image",
    "pointing_game",
]
