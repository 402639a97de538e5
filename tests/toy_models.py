"""Small models whose explanations are known by construction (imported by the tests)."""

from __future__ import annotations

import torch
from torch import nn

from model_zoo import Backbone, Preprocess

SIZE = 8
CHANNELS = 4
CLASSES = 5
TOY_PREPROCESS = Preprocess(crop=(SIZE, SIZE), resize=None, mean=(0, 0, 0), std=(1, 1, 1))
TOY_LABELS = tuple(f"class {i}" for i in range(CLASSES))


class GapLinear(nn.Module):
    """conv → ReLU (layer ``act``) → global average pool → linear: the head CAM was made for."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, CHANNELS, 3, padding=1)
        self.act = nn.ReLU()
        self.fc = nn.Linear(CHANNELS, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.act(self.conv(x)).mean(dim=(2, 3)))


class FlattenLinear(nn.Module):
    """conv → ReLU (layer ``act``) → flatten → linear: gradients vary over space, as in seed 000."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, CHANNELS, 3, padding=1)
        self.act = nn.ReLU()
        self.fc = nn.Linear(CHANNELS * SIZE * SIZE, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.act(self.conv(x)).flatten(1))


def toy_backbone(model: nn.Module, cam: bool) -> Backbone:
    return Backbone(
        name=type(model).__name__,
        display_name=type(model).__name__,
        family="cnn",
        model=model,
        preprocess=TOY_PREPROCESS,
        layers=("conv", "act"),
        default_layer="act",
        labels=TOY_LABELS,
        cam_layer="act" if cam else None,
        classifier=model.fc if cam else None,
    )


def positive_input(seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(1, 3, SIZE, SIZE, generator=generator)


def raw_score_backbone(model: nn.Module, size: int, layer: str, labels: tuple[str, ...]) -> Backbone:
    """A Backbone whose score is the model's raw output (no softmax), so a score can be computed by hand;
    identity preprocessing on size×size inputs."""
    return Backbone(
        name=type(model).__name__,
        display_name=type(model).__name__,
        family="cnn",
        model=model,
        preprocess=Preprocess(crop=(size, size), resize=None, mean=(0, 0, 0), std=(1, 1, 1)),
        layers=(layer,),
        default_layer=layer,
        labels=labels,
        score_outputs=lambda output, keys: output[:, list(keys)],
    )
