"""The Learn tab's demonstration of the HiResCAM paper's point (Draelos & Carin 2020).

A flatten + linear model with hand-set weights: one channel ``A`` (the input's mean colour, 8×8) is
flattened and the class "left" scores ``s = Σ_ij W_ij A_ij`` with ``W = 1`` on the left half and ``W = 0``
on the right half. The input has one bright square on each half.

- Grad-CAM uses ``α = mean_ij ∂s/∂A_ij = 0.5`` and draws ``α·A``: both squares, although the right one
  contributes exactly nothing to the score.
- HiResCAM draws ``∂s/∂A ⊙ A = W ⊙ A``: the left square only, which is what the model actually uses.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import torch
from PIL import Image
from torch import nn

from cam_methods import explain
from cam_methods.render import overlay
from model_zoo import Backbone, Preprocess

SIDE = 8
SCALE = 24  # each grid cell drawn as SCALE×SCALE pixels
LABELS = ("left", "right")
EXPLANATION = (
    "The model's weight for class \u201cleft\u201d is zero on the right half, so the right square adds nothing "
    "to the score: Grad-CAM averages the gradient over space and still lights it up, while HiResCAM "
    "multiplies gradient and activation element-wise and shows only the square the model uses."
)


def toy_backbone() -> Backbone:
    """conv 1×1 (mean of R, G, B; layer ``features``) → flatten → linear, with hand-set weights."""
    features = nn.Conv2d(3, 1, kernel_size=1, bias=False)
    head = nn.Linear(SIDE * SIDE, len(LABELS), bias=False)
    with torch.no_grad():
        features.weight.fill_(1 / 3)
        left = torch.zeros(SIDE, SIDE)
        left[:, : SIDE // 2] = 1
        head.weight.copy_(torch.stack([left.flatten(), (1 - left).flatten() * 0.1]))
    model = nn.Sequential(OrderedDict(features=features, flatten=nn.Flatten(), head=head))
    return Backbone(
        name="hirescam_toy",
        display_name="flatten + linear toy",
        family="cnn",
        model=model,
        preprocess=Preprocess(crop=(SIDE, SIDE), resize=None, mean=(0, 0, 0), std=(1, 1, 1)),
        layers=("features",),
        default_layer="features",
        labels=LABELS,
    )


def toy_input() -> torch.Tensor:
    """1×3×8×8: a bright 2×2 square on the left half and one on the right half, on black."""
    x = torch.zeros(1, 3, SIDE, SIDE)
    x[..., 3:5, 1:3] = 1
    x[..., 3:5, 5:7] = 1
    return x


def demonstration() -> list[tuple[Image.Image, str]]:
    """The input, then the Grad-CAM and HiResCAM overlays for class "left", enlarged for display."""
    result = explain(toy_backbone(), toy_input(), ["gradcam", "hirescam"], target="left", finer_refs=1)
    picture = np.kron(result.picture, np.ones((SCALE, SCALE, 1), dtype=np.uint8))
    panels = [(Image.fromarray(picture), "input: a square on each half")]
    for method_id, name in (("gradcam", "Grad-CAM"), ("hirescam", "HiResCAM")):
        heatmap = np.kron(result.maps[method_id], np.ones((SCALE, SCALE), dtype=np.float32))
        panels.append((overlay(picture, heatmap, "jet", 0.6), f"{name} for \u201cleft\u201d"))
    return panels
