"""CAM Studio's engine: one capture, many maps.

from model_zoo import load_backbone
from cam_methods import explain, METHODS

backbone = load_backbone("efficientnet_lite0")
result = explain(backbone, "assets/chelsea.png", ["gradcam", "hirescam", "finer-gradcam"])
result.maps["hirescam"]          # 224×224 float32 in [0, 1], aligned with result.input_tensor
result.with_alpha(1.0)           # new Finer strength, no model call
"""

from . import gradient  # noqa: F401  (registers the gradient family)
from .capture import Evidence, Targets, capture
from .explanation import Explanation, MapContext, MethodNotApplicable, applicable_methods, explain
from .finer import register_finer_variants
from .images import ImageError, load_image
from .registry import METHODS, MethodInfo

register_finer_variants()

GRADIENT_METHODS = tuple(m for m, info in METHODS.items() if info.family == "gradient")

__all__ = [
    "GRADIENT_METHODS",
    "METHODS",
    "Evidence",
    "Explanation",
    "ImageError",
    "MapContext",
    "MethodInfo",
    "MethodNotApplicable",
    "Targets",
    "applicable_methods",
    "capture",
    "explain",
    "load_image",
]
