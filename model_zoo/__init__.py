"""The model zoo: backbones by name, each a model with its preprocessing, layers and labels.

Importing the package registers the built-in entries in ``BACKBONES`` (the bundled EfficientNet-Lite0 and
the Hub CNNs, ViTs and CLIPs); ``load_backbone(name)`` builds one, ``register_backbone(spec)`` adds one, and
``wrap(model)`` turns any image classifier into a Backbone (``load_backbone("timm/<id>")`` and
``load_backbone("hf/<id>")`` wrap timm and Hugging Face models by their ids).
"""

from . import (
    clip,  # noqa: F401  (registers the CLIP models)
    model_ids,  # noqa: F401  (registers the timm/ and hf/ model-id prefixes)
    timm_models,  # noqa: F401  (registers EfficientNet-Lite0 and the Hub CNNs)
    timm_vit,  # noqa: F401  (registers the timm ViTs)
)
from .backbone import Backbone, PromptScorer, channels_first_grid
from .preprocess import Geometry, Preprocess
from .registry import (
    BACKBONES,
    DEFAULT_BACKBONE,
    BackboneSpec,
    BackboneUnavailable,
    load_backbone,
    register_backbone,
    weights_env_var,
)
from .wrap import wrap

__all__ = [
    "BACKBONES",
    "DEFAULT_BACKBONE",
    "Backbone",
    "BackboneSpec",
    "BackboneUnavailable",
    "Geometry",
    "Preprocess",
    "PromptScorer",
    "channels_first_grid",
    "load_backbone",
    "register_backbone",
    "weights_env_var",
    "wrap",
]
