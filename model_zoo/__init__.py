"""Backbones as data: ``load_backbone(name)`` gives a model with its preprocessing, layers and labels."""

from . import (
    clip,  # noqa: F401  (registers the CLIP entries)
    timm_models,  # noqa: F401  (registers the CNN entries)
    timm_vit,  # noqa: F401  (registers the ViT entries)
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
]
