"""BatchNorm folding: the folded network computes the same function, every listed layer shows the same tensor,
and the bundled model's maps are those of the unfolded model."""

import torch
from torch import nn

from cam_methods import SHARED_PASS_METHODS, explain
from model_zoo import Backbone
from model_zoo.batchnorm_fold import fold_batchnorms
from model_zoo.bundled import efficientnet_lite0
from model_zoo.timm_models import EFFICIENTNET_LITE0, timm_backbone


def conv_bn(channels_in: int, channels_out: int) -> nn.Sequential:
    bn = nn.BatchNorm2d(channels_out)
    with torch.no_grad():
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.2, 3)
        bn.weight.uniform_(0.5, 2)
        bn.bias.uniform_(-0.5, 0.5)
    return nn.Sequential(nn.Conv2d(channels_in, channels_out, 3, padding=1, bias=False), bn, nn.ReLU())


def test_folding_keeps_the_function_and_skips_a_tapped_convolution():
    torch.manual_seed(0)
    model = nn.Sequential(conv_bn(3, 4), conv_bn(4, 5)).eval()
    x = torch.randn(2, 3, 9, 9)
    with torch.no_grad():
        expected, tapped = model(x), model[1][0](model[0](x))
    assert fold_batchnorms(model, x[:1], keep={"1.0"}) == 1  # "1.0" is a listed layer: its BatchNorm stays
    assert isinstance(model[0][1], nn.Identity) and isinstance(model[1][1], nn.BatchNorm2d)
    with torch.no_grad():
        torch.testing.assert_close(model(x), expected, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(model[1][0](model[0](x)), tapped, atol=1e-5, rtol=1e-5)


def test_bundled_maps_equal_the_unfolded_models_at_bn2_and_an_inner_block(lite0, chelsea_path):
    spec = EFFICIENTNET_LITE0
    unfolded = timm_backbone(
        spec.arch, spec.display_name, "cnn", efficientnet_lite0(), spec.layers, cam_layer="bn2", framing="whole"
    )  # framed like the served Lite0 (TimmCNN.backbone), so both see the same input
    assert any(isinstance(m, nn.BatchNorm2d) for m in unfolded.model.modules())
    assert not any(isinstance(m, nn.BatchNorm2d) for m in lite0.model.modules())
    assert isinstance(unfolded, Backbone)
    # At bn2 every map agrees within 1e-5 (≤ 1.7e-6 measured). At blocks.5 (no ReLU, gradients back through the
    # folded blocks.6 and head) the float32 rounding of the folded weights shows: on chelsea as the PyTorch resize
    # prepares it, Layer-CAM differs by up to 1.0e-3 and Grad-CAM by 2.5e-4 (maps in [0, 1], Pearson 1.000000);
    # the unfolded model in float32 against float64 differs by ≤ 2e-6 there, so this is the folding's rounding.
    for layer, tolerance in (("bn2", 1e-5), ("blocks.5", 2e-3)):
        methods = [m for m in SHARED_PASS_METHODS if m != "cam" or layer == "bn2"]
        folded_maps = explain(lite0, chelsea_path, methods, layer=layer)
        plain_maps = explain(unfolded, chelsea_path, methods, layer=layer)
        assert folded_maps.target == plain_maps.target
        A, A_plain = folded_maps.evidence.activations, plain_maps.evidence.activations
        torch.testing.assert_close(A, A_plain, atol=1e-5 * float(A_plain.abs().max()), rtol=0)
        for method in methods:
            folded, plain = (torch.from_numpy(maps.maps[method]) for maps in (folded_maps, plain_maps))
            torch.testing.assert_close(folded, plain, atol=tolerance, rtol=0, msg=f"{layer} {method}")
