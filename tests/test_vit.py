"""timm ViTs on random weights: the token grid, any input size, every gradient-family and Finer method."""

import numpy as np
import pytest
import timm
import torch

from cam_methods import METHODS, SHARED_PASS_METHODS, MethodNotApplicable, explain
from model_zoo import BACKBONES, BackboneUnavailable, load_backbone, weights_env_var
from model_zoo.timm_vit import VITS, TokenGrid

# every gradient-family method that needs no GAP + linear head, and the Finer variant of each class-specific one
TRANSFORMER_METHODS = [m for m in SHARED_PASS_METHODS if not METHODS[m].uses_head_weights] + [
    f"finer-{m}" for m in SHARED_PASS_METHODS if METHODS[m].class_specific and not METHODS[m].uses_head_weights
]
PATCH = 16
ODD_CELL = (1, 3)  # on the 3×5 grid of a 48×80 input: not a corner, not the centre, not on the diagonal


@pytest.fixture(scope="module")
def vits():
    torch.manual_seed(0)
    return {arch: load_backbone(arch, random_weights=True) for arch in VITS}


def one_patch_changed(x: torch.Tensor, cell: tuple[int, int], seed: int = 1) -> torch.Tensor:
    r, s = cell
    changed = x.clone()
    generator = torch.Generator().manual_seed(seed)
    changed[..., r * PATCH : (r + 1) * PATCH, s * PATCH : (s + 1) * PATCH] = torch.randn(
        1, 3, PATCH, PATCH, generator=generator
    )
    return changed


def test_token_grid_drops_prefix_tokens_and_lays_patches_out_row_major():
    h, w, k, prefix = 3, 5, 4, 5
    tokens = torch.zeros(1, prefix + h * w, k)
    for i in range(h):
        for j in range(w):
            tokens[0, prefix + i * w + j] = torch.arange(k) + 100 * i + 10 * j
    grid = TokenGrid((16, 16), prefix)(tokens, (48, 80))
    assert grid.shape == (k, h, w)
    assert grid[2, 1, 3] == 2 + 100 + 30
    sequence_first = TokenGrid((16, 16), prefix, batch_first=False)(tokens.transpose(0, 1), (48, 80))
    assert torch.equal(sequence_first, grid)
    with pytest.raises(ValueError, match="prefix tokens"):
        TokenGrid((16, 16), prefix)(tokens, (64, 80))


def test_registered_vits_use_real_pretrained_tags_and_the_last_norm1_by_default(vits):
    for arch, vit in VITS.items():
        spec = BACKBONES[arch]
        assert spec.family == "vit" and f"{arch}.{vit.tag}" in spec.source
        assert f"{arch}.{vit.tag}" in timm.list_pretrained(arch)
        backbone = vits[arch]
        assert backbone.default_layer == f"blocks.{len(backbone.model.blocks) - 1}.norm1"
        assert backbone.layers == tuple(f"blocks.{i}.norm1" for i in range(len(backbone.model.blocks)))
    assert vits["vit_medium_patch16_reg4_gap_256"].to_grid.prefix_tokens == 4  # four registers, no class token
    assert vits["deit_small_patch16_224"].to_grid.prefix_tokens == 1


@pytest.mark.parametrize("arch", list(VITS))
def test_changing_one_patch_moves_only_that_grid_cell_before_attention_mixes(vits, arch):
    x = torch.randn(1, 3, 48, 80)
    before = explain(vits[arch], x, ["gradcam"], layer="blocks.0.norm1").evidence.activations
    after = explain(vits[arch], one_patch_changed(x, ODD_CELL), ["gradcam"], layer="blocks.0.norm1")
    moved = (after.evidence.activations - before).abs().sum(dim=0)
    assert moved.shape == (3, 5)
    assert moved[ODD_CELL] > 0
    moved[ODD_CELL] = 0
    assert torch.all(moved == 0)


@pytest.mark.parametrize("arch", ["deit_small_patch16_224", "vit_medium_patch16_reg4_gap_256"])
def test_map_follows_the_one_distinct_patch_at_the_default_layer(vits, arch):
    """Without position embeddings, identical patch tokens stay identical through every block (attention
    is permutation-equivariant) and get identical gradients, so every map is flat except at the one
    distinct patch: a wrong prefix count or row/column order would put the odd cell elsewhere."""
    backbone = vits[arch]
    saved = backbone.model.pos_embed.detach().clone()
    backbone.model.pos_embed.data.zero_()
    try:
        x = one_patch_changed(torch.full((1, 3, 48, 80), 0.3), ODD_CELL)
        result = explain(backbone, x, ["gradcam", "hirescam", "eigencam", "finer-hirescam"])
    finally:
        backbone.model.pos_embed.data.copy_(saved)
    r, s = ODD_CELL
    for method, raw in result.raw_maps.items():
        others = torch.cat([raw.flatten()[: r * 5 + s], raw.flatten()[r * 5 + s + 1 :]])
        spread = float(others.max() - others.min())
        assert spread <= 1e-4 * float((raw[r, s] - others[0]).abs()), method
        signed = result.signed_map(method)
        row, col = np.unravel_index(np.abs(signed - signed[0, 0]).argmax(), signed.shape)
        assert (row // PATCH, col // PATCH) == ODD_CELL, method


@pytest.mark.parametrize("arch", list(VITS))
def test_every_vit_runs_every_gradient_and_finer_method_on_a_non_square_input(vits, arch):
    result = explain(vits[arch], torch.randn(1, 3, 32, 64), TRANSFORMER_METHODS, layer="blocks.2.norm1")
    assert result.evidence.activations.shape[1:] == (2, 4)
    assert len(result.references) == 3
    for method in TRANSFORMER_METHODS:
        assert result.maps[method].shape == (32, 64), method
        assert (
            np.isfinite(result.maps[method]).all() and 0 <= result.maps[method].min() <= result.maps[method].max() <= 1
        )
    with pytest.raises(MethodNotApplicable):
        explain(vits[arch], torch.randn(1, 3, 32, 32), ["cam"])


def test_a_photo_goes_through_the_models_own_preprocessing(vits, chelsea_path):
    backbone = vits["vit_medium_patch16_reg4_gap_256"]
    result = explain(backbone, chelsea_path, ["gradcam"])
    assert backbone.framing == "whole"  # short side 256, 451 × 256 / 300 = 384.9 → 384 (16-px patches)
    assert result.input_tensor.shape[-2:] == (256, 384)
    assert result.evidence.activations.shape[1:] == (16, 24)
    assert result.to_image("gradcam").shape == (300, 451)


def test_offline_hub_load_says_what_to_do_in_one_sentence_and_tells_the_operator_more():
    with pytest.raises(BackboneUnavailable) as raised:
        BACKBONES["deit_small_patch16_224"].build(None)
    public, env_var = raised.value.message, weights_env_var("deit_small_patch16_224")
    assert "DeiT-S/16" in public and "could not be downloaded" in public and public.count(". ") == 0
    assert env_var not in public and "LocalEntryNotFoundError" not in public
    assert "run once online" in str(raised.value) and env_var in str(raised.value)
    assert "LocalEntryNotFoundError" in raised.value.hint


def test_a_local_checkpoint_file_replaces_the_hub(vits, tmp_path, monkeypatch):
    path = tmp_path / "deit.pth"
    torch.save(vits["deit_small_patch16_224"].model.state_dict(), path)
    monkeypatch.setenv(weights_env_var("deit_small_patch16_224"), str(path))
    loaded = load_backbone("deit_small_patch16_224")
    for name, tensor in vits["deit_small_patch16_224"].model.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[name], tensor), name
