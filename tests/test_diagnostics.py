"""Blank maps explain themselves: ``Explanation.diagnosis(id)`` gives one sentence for a map that is all
zero, not finite or rounding noise, and None for a map that shows something."""

from __future__ import annotations

import timm
import torch
from toy_models import TOY_PREPROCESS, GapLinear

from cam_methods import explain
from model_zoo import wrap


def toy(seed: int = 0):
    torch.manual_seed(seed)
    model = GapLinear()
    return model, wrap(model, preprocess=TOY_PREPROCESS, layer="act", name="toy")


def one_sentence(text: str) -> bool:
    return bool(text) and text.count(". ") == 0 and "\n" not in text


def test_a_plain_module_is_wrapped_and_cam_applies_where_its_head_is_gap_plus_linear():
    model, backbone = toy()
    assert backbone.default_layer == "act" and backbone.cam_layer == "act" and backbone.classifier is model.fc
    result = explain(backbone, torch.rand(1, 3, 8, 8), ["cam", "gradcam"])
    assert torch.allclose(result.raw_maps["cam"] / 64, result.raw_maps["gradcam"], atol=1e-6)  # CAM = Z · Grad-CAM
    assert result.diagnosis("gradcam") is None


def test_negative_channel_weights_are_named():
    model, backbone = toy()
    with torch.no_grad():
        model.fc.weight[0] = -1.0
    result = explain(backbone, torch.rand(1, 3, 8, 8), ["gradcam", "hirescam"], target=0)
    assert result.maps["gradcam"].max() == 0
    assert result.diagnosis("gradcam").startswith("all channel weights are negative at this layer")
    assert result.diagnosis("hirescam").startswith("the map is negative everywhere at this layer")


def test_non_finite_activations_are_named():
    model, backbone = toy()
    with torch.no_grad():
        model.conv.bias[1] = float("nan")
    result = explain(backbone, torch.rand(1, 3, 8, 8), ["gradcam"], target=0)
    assert (
        result.diagnosis("gradcam")
        == "the layer's activations are not finite (NaN or infinity), so no map can be drawn"
    )


def test_an_infinity_in_the_activations_or_in_the_gradient_is_named():
    """Infinities, not only NaN: an infinite bias makes one channel of A infinite; an infinite head weight makes
    one channel of the target's gradient G infinite while A stays finite."""
    model, backbone = toy()
    with torch.no_grad():
        model.conv.bias[1] = float("inf")
    result = explain(backbone, torch.rand(1, 3, 8, 8), ["gradcam"], target=0)
    assert result.diagnosis("gradcam").startswith("the layer's activations are not finite")
    model, backbone = toy()
    with torch.no_grad():
        model.fc.weight[0, 1] = float("inf")
    result = explain(backbone, torch.rand(1, 3, 8, 8), ["gradcam"], target=0)
    assert torch.isfinite(result.evidence.activations).all()
    assert result.diagnosis("gradcam") == (
        "the gradient at this layer is not finite (NaN or infinity), so no map can be drawn"
    )


def test_a_1x1_grid_is_not_spatial(lite0):
    result = explain(lite0, torch.randn(1, 3, 32, 32), ["gradcam"])
    assert result.evidence.activations.shape[1:] == (1, 1)
    assert "not spatial" in result.diagnosis("gradcam") and one_sentence(result.diagnosis("gradcam"))


def test_a_layer_the_gradient_does_not_reach_and_a_map_that_cancels_are_named():
    """After a class-token head, the last block's patch tokens get no gradient; one block earlier HiResCAM
    is rounding noise, since that output feeds the last block's LayerNorm (Σ_k G_k A_k = 0)."""
    torch.manual_seed(0)
    model = timm.create_model("vit_tiny_patch16_224", pretrained=False, img_size=32, depth=2)
    model.pretrained_cfg = {**model.pretrained_cfg, "input_size": (3, 32, 32)}
    unreached = explain(wrap(model, layer="blocks.1"), torch.randn(1, 3, 32, 32), ["gradcam"])
    assert unreached.diagnosis("gradcam").startswith("the gradient did not reach this layer")
    default = wrap(model)
    assert default.default_layer == "blocks.0"
    result = explain(default, torch.randn(1, 3, 32, 32), ["gradcam", "hirescam"])
    assert result.diagnosis("gradcam") is None
    assert "cancel out to rounding noise" in result.diagnosis("hirescam") and one_sentence(result.diagnosis("hirescam"))
