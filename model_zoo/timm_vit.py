"""timm Vision Transformers with their real pretrained tags, and :class:`TokenGrid`, which lays a
transformer's tokens back onto its patch grid (CLIP's ViT towers use it too).

The models are built with ``dynamic_img_size=True``, so any input size works and they see the whole picture
(sides a multiple of the patch size). Every block's ``norm1`` (the
LayerNorm feeding its attention) is selectable, the last one by default. CAM does not apply: no ViT here
has a global-average-pool + single linear head.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .backbone import Backbone
from .registry import BackboneSpec, register_backbone
from .timm_models import timm_backbone, timm_hub_spec


@dataclass(frozen=True)
class TokenGrid:
    """``to_grid`` for transformers: drop the prefix tokens and lay the patch tokens out as K×h×w.

    A block's output is 1×N×K: ``prefix_tokens`` tokens (CLS, distillation, registers) then one token per
    patch in row-major order, so ``A[k, i, j] = tokens[prefix_tokens + i·w + j, k]`` with h = H // P_h,
    w = W // P_w read from the actual H×W input (non-square grids included); ``ceil=True`` rounds up instead
    (h = ⌈H / P_h⌉: stages that pad a partial patch). ``batch_first=False`` accepts the N×B×K layout some
    transformer stacks use internally.
    """

    patch_size: tuple[int, int]
    prefix_tokens: int
    batch_first: bool = True
    ceil: bool = False

    def __call__(self, activation: torch.Tensor, input_size: tuple[int, int]) -> torch.Tensor:
        tokens = activation if self.batch_first else activation.transpose(0, 1)
        if tokens.dim() != 3 or tokens.shape[0] != 1:
            raise ValueError(f"expected a 1×N×K token activation, got shape {tuple(activation.shape)}")
        height, width = (
            -(-size // patch) if self.ceil else size // patch
            for size, patch in zip(input_size, self.patch_size, strict=True)
        )
        patches = tokens[0, self.prefix_tokens :]
        if patches.shape[0] != height * width:
            raise ValueError(
                f"{tokens.shape[1]} tokens do not make {self.prefix_tokens} prefix tokens plus a {height}×{width} "
                f"patch grid for a {input_size[0]}×{input_size[1]} input; choose a transformer block's layer"
            )
        return patches.reshape(height, width, -1).permute(2, 0, 1).contiguous()


@dataclass(frozen=True)
class TimmViT:
    """A timm ViT classifier (ImageNet-1k head) and the Hub tag of its pretrained weights."""

    arch: str
    tag: str
    display_name: str

    def backbone(self, model: nn.Module) -> Backbone:
        """The Backbone for ``model`` (an instance of this architecture, any weights): the whole picture when the
        model was built with ``dynamic_img_size`` (its position embeddings are resampled to the patch grid),
        else the centre crop."""
        layers = tuple(f"blocks.{i}.norm1" for i in range(len(model.blocks)))
        to_grid = TokenGrid(tuple(model.patch_embed.patch_size), int(model.num_prefix_tokens))
        framing = "whole" if getattr(model, "dynamic_img_size", False) else "crop"
        return timm_backbone(self.arch, self.display_name, "vit", model, layers, to_grid, framing=framing)

    def spec(self) -> BackboneSpec:
        return timm_hub_spec(self.arch, self.tag, self.display_name, "vit", self.backbone, dynamic_img_size=True)


VITS = {
    vit.arch: vit
    for vit in (
        TimmViT("vit_base_patch16_224", "augreg2_in21k_ft_in1k", "ViT-B/16 (AugReg, IN-21k → IN-1k)"),
        TimmViT("deit_small_patch16_224", "fb_in1k", "DeiT-S/16"),
        TimmViT("vit_medium_patch16_reg4_gap_256", "sbb_in12k_ft_in1k", "ViT-M/16 with 4 registers"),
    )
}

for _vit in VITS.values():
    register_backbone(_vit.spec())
