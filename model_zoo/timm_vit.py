"""timm Vision Transformers: tokens laid back onto the patch grid, any input size, real pretrained tags.

A ViT block's output is B×N×K: ``p`` prefix tokens (CLS, distillation, registers; timm's
``num_prefix_tokens``) followed by one token per patch in row-major order. For an H×W input and
patch size P_h×P_w the patch grid is h = H // P_h by w = W // P_w, read at run time from the actual
input, so non-224 inputs and non-square grids work (the models are built with ``dynamic_img_size=True``,
which resamples the position embeddings to the input's grid).

Default layer: the last block's ``norm1`` (the LayerNorm feeding its attention); every block's
``norm1`` is selectable. CAM does not apply: no ViT here has a global-average-pool + single linear head.
"""

from __future__ import annotations

from dataclasses import dataclass

import timm
import torch
from torch import nn

from .backbone import Backbone
from .hub import is_cached
from .labels import imagenet_labels
from .registry import BackboneSpec, register_backbone
from .timm_models import load_timm_model, timm_preprocess


@dataclass(frozen=True)
class TokenGrid:
    """``to_grid`` for transformers: drop the prefix tokens and lay the patch tokens out as K×h×w.

    ``A[k, i, j] = tokens[prefix_tokens + i·w + j, k]`` with h = H // P_h, w = W // P_w for an H×W input.
    ``batch_first=False`` accepts the N×B×K layout some transformer stacks use internally.
    """

    patch_size: tuple[int, int]
    prefix_tokens: int
    batch_first: bool = True

    def __call__(self, activation: torch.Tensor, input_size: tuple[int, int]) -> torch.Tensor:
        tokens = activation if self.batch_first else activation.transpose(0, 1)
        if tokens.dim() != 3 or tokens.shape[0] != 1:
            raise ValueError(f"expected a 1×N×K token activation, got shape {tuple(activation.shape)}")
        height, width = input_size[0] // self.patch_size[0], input_size[1] // self.patch_size[1]
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
        """The Backbone for ``model`` (an instance of this architecture, any weights)."""
        layers = tuple(f"blocks.{i}.norm1" for i in range(len(model.blocks)))
        return Backbone(
            name=self.arch,
            display_name=self.display_name,
            family="vit",
            model=model,
            preprocess=timm_preprocess(model),
            layers=layers,
            default_layer=layers[-1],
            labels=imagenet_labels(),
            to_grid=TokenGrid(tuple(model.patch_embed.patch_size), int(model.num_prefix_tokens)),
        )

    def build(self, weights: str | None = None) -> Backbone:
        """With the Hub weights of ``arch.tag`` (or a local checkpoint file): BackboneUnavailable offline."""
        model = load_timm_model(self.arch, self.tag, self.display_name, weights, dynamic_img_size=True)
        return self.backbone(model)

    def build_random(self) -> Backbone:
        """The same architecture with random weights and no network: for tests and benchmarks."""
        return self.backbone(timm.create_model(f"{self.arch}.{self.tag}", pretrained=False, dynamic_img_size=True))

    def spec(self) -> BackboneSpec:
        hub_id = f"timm/{self.arch}.{self.tag}"
        return BackboneSpec(
            name=self.arch,
            display_name=self.display_name,
            family="vit",
            source=f"timm {self.arch}.{self.tag} (Hugging Face Hub: {hub_id})",
            build=self.build,
            cached=lambda: is_cached(hub_id),
        )


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
