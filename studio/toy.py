"""The Learn tab's demonstration of the HiResCAM paper's point (Draelos & Carin 2020), interactive.

A flatten + linear model with hand-set weights: one channel ``A`` (the input's mean colour, 8×8) is
flattened and the class "target" scores ``s = Σ_ij W_ij A_ij`` with ``W = 1`` everywhere except on the
region the user chooses, where ``W = 0``. The input has one bright 2×2 square on each half, straddling the
middle row.

- Grad-CAM uses one number, ``α = mean_ij ∂s/∂A_ij`` (the share of the grid where W = 1), and draws
  ``α·A``: both squares, whatever the model ignores.
- HiResCAM draws ``∂s/∂A ⊙ A = W ⊙ A``: exactly the parts of the squares the score uses. With no zero
  region W is constant, the gradient is the same everywhere and the two maps coincide.
"""

from __future__ import annotations

import functools
from collections import OrderedDict

import numpy as np
import torch
from PIL import Image
from torch import nn

from cam_methods import explain
from cam_methods.render import overlay
from model_zoo import Backbone, Preprocess

SIDE = 8
HALF = SIDE // 2
SCALE = 24  # each grid cell drawn as SCALE×SCALE pixels
LABELS = ("target", "other")
ZERO_REGIONS = {  # where the class weight W is 0: (rows, columns) of the 8×8 grid
    "right half": (slice(None), slice(HALF, None)),
    "left half": (slice(None), slice(None, HALF)),
    "top half": (slice(None, HALF), slice(None)),
    "nowhere": None,
}
DEFAULT_REGION = "right half"
WHY = {
    "right half": "the right square adds nothing to the score, yet Grad-CAM lights it up; HiResCAM shows the left one",
    "left half": "the left square adds nothing to the score, yet Grad-CAM lights it up; HiResCAM shows the right one",
    "top half": "only the lower row of each square counts; Grad-CAM draws both squares whole, HiResCAM the lower rows",
    "nowhere": "every pixel counts equally, the gradient is the same everywhere, and the two maps are the same",
}


def class_weights(zero_region: str) -> torch.Tensor:
    """W (8×8) of class "target": 1, and 0 on ``zero_region``; a ValueError names the regions."""
    if zero_region not in ZERO_REGIONS:
        raise ValueError(f"the zero-weight region must be one of {', '.join(ZERO_REGIONS)}, not {zero_region!r}")
    weights = torch.ones(SIDE, SIDE)
    if ZERO_REGIONS[zero_region] is not None:
        weights[ZERO_REGIONS[zero_region]] = 0
    return weights


def toy_backbone(zero_region: str = DEFAULT_REGION) -> Backbone:
    """conv 1×1 (mean of R, G, B; layer ``features``) → flatten → linear, with hand-set weights: W for
    "target", and a tenth of 1 − W for "other"."""
    weights = class_weights(zero_region)
    features = nn.Conv2d(3, 1, kernel_size=1, bias=False)
    head = nn.Linear(SIDE * SIDE, len(LABELS), bias=False)
    with torch.no_grad():
        features.weight.fill_(1 / 3)
        head.weight.copy_(torch.stack([weights.flatten(), (1 - weights).flatten() * 0.1]))
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
    """1×3×8×8: a bright 2×2 square on the left half and one on the right half (rows 3–4), on black."""
    x = torch.zeros(1, 3, SIDE, SIDE)
    x[..., 3:5, 1:3] = 1
    x[..., 3:5, 5:7] = 1
    return x


def toy_maps(zero_region: str) -> dict[str, np.ndarray]:
    """Grad-CAM's and HiResCAM's 8×8 maps (in [0, 1]) of class "target" for this zero region."""
    result = explain(toy_backbone(zero_region), toy_input(), ["gradcam", "hirescam"], target="target", finer_refs=1)
    return {method_id: result.maps[method_id] for method_id in ("gradcam", "hirescam")}


def enlarge(grid: np.ndarray) -> np.ndarray:
    """Each cell as SCALE×SCALE pixels."""
    block = np.ones((SCALE, SCALE) + (1,) * (grid.ndim - 2), dtype=grid.dtype)
    return np.kron(grid, block)


@functools.cache
def demonstration(zero_region: str = DEFAULT_REGION) -> tuple[tuple[Image.Image, str], ...]:
    """The input, the class weights W (white 1, black 0), then the Grad-CAM and HiResCAM overlays, enlarged."""
    picture = enlarge((toy_input()[0].permute(1, 2, 0).numpy() * 255).astype(np.uint8))
    weights = enlarge((class_weights(zero_region).numpy() * 255).astype(np.uint8))
    maps = toy_maps(zero_region)
    return (
        (Image.fromarray(picture), "input: a square on each half"),
        (Image.fromarray(weights).convert("RGB"), "class weight W (white 1, black 0)"),
        (overlay(picture, enlarge(maps["gradcam"]), "jet", 0.6), "Grad-CAM"),
        (overlay(picture, enlarge(maps["hirescam"]), "jet", 0.6), "HiResCAM"),
    )


def explanation(zero_region: str = DEFAULT_REGION) -> str:
    """One sentence on what this choice shows."""
    class_weights(zero_region)  # a ValueError for an unknown region
    where = "With W = 1 everywhere" if ZERO_REGIONS[zero_region] is None else f"With W = 0 on the {zero_region}"
    return f"{where}: {WHY[zero_region]}."
