"""``wrap(model)`` on timm architectures of many families, random weights, no layer and no reshape function:
Grad-CAM, HiResCAM and Finer-Grad-CAM equal a reference that hooks the chosen layer by hand and lays it
out with the layout stated here for each family (``tests/wrap_reference.py``).

Each model is the smallest variant of its family, at a small input (timm's ``pretrained_cfg_overlay``
sets the size its preprocessing, and so the probe, uses); a few transformers are made shallower with
timm's own ``depth=`` argument. The architectures that cannot work are in ``NOT_SUPPORTED`` and in the
README's coverage table, and the tests check that the two agree.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import timm
import torch
from wrap_reference import assert_matches, reference_maps, tokens

from cam_methods import explain
from model_zoo import wrap

README = Path(__file__).resolve().parents[1] / "README.md"
METHODS = ["gradcam", "hirescam", "finer-gradcam"]
CNN = (64, 96)  # non-square on purpose: a swapped h and w cannot match

# arch: (input size, timm.create_model keyword arguments, the default layer wrap must choose, its layout)
TIMM_CASES = {
    "resnet10t": (CNN, {}, "layer4", "nchw"),
    "resnext26ts": (CNN, {}, "stages.3", "nchw"),
    "regnetx_002": (CNN, {}, "s4", "nchw"),
    "efficientnet_b0": (CNN, {}, "bn2", "nchw"),
    "mobilenetv3_small_050": (CNN, {}, "blocks.5", "nchw"),
    "mobilenetv4_conv_small": (CNN, {}, "blocks.4", "nchw"),
    "convnext_atto": (CNN, {}, "stages.3", "nchw"),
    "convnextv2_atto": (CNN, {}, "stages.3", "nchw"),
    "densenet121": (CNN, {}, "features.norm5", "nchw"),
    "inception_v3": ((80, 112), {}, "Mixed_7c", "nchw"),
    "legacy_xception": ((80, 112), {}, "bn4", "nchw"),
    "vgg11": (CNN, {"mlp_ratio": 0.0625}, "features", "nchw"),
    "ghostnet_050": (CNN, {}, "blocks.9", "nchw"),
    "rexnet_100": (CNN, {}, "features.16", "nchw"),
    "dla46_c": (CNN, {}, "level5", "nchw"),
    "cs3darknet_focus_s": (CNN, {}, "stages.3", "nchw"),
    "ese_vovnet19b_slim_dw": (CNN, {}, "stages.3", "nchw"),
    "hgnetv2_b0": (CNN, {}, "stages.3", "nchw"),
    "mambaout_femto": (CNN, {}, "stages.3", "nhwc"),
    "starnet_s050": (CNN, {}, "norm", "nchw"),
    "edgenext_xx_small": (CNN, {}, "stages.3", "nchw"),
    "efficientvit_b0": (CNN, {}, "head.in_conv", "nchw"),
    "fastvit_t8": (CNN, {}, "final_conv", "nchw"),
    "poolformer_s12": (CNN, {}, "stages.3", "nchw"),
    "mobilevit_xxs": (CNN, {}, "final_conv", "nchw"),
    "pvt_v2_b0": (CNN, {}, "stages.3", "nchw"),
    "davit_tiny": (CNN, {}, "stages.3", "nchw"),
    "gcvit_xxtiny": ((64, 64), {"img_size": 64}, "stages.3", "nchw"),
    "vit_tiny_patch16_224": ((64, 96), {"img_size": (64, 96)}, "blocks.10", tokens(1, 16)),
    "deit_tiny_distilled_patch16_224": ((64, 96), {"img_size": (64, 96)}, "blocks.10", tokens(2, 16)),
    "vit_small_patch14_reg4_dinov2": ((56, 56), {"img_size": 56, "depth": 4}, "blocks.2", tokens(5, 14)),
    "beit_base_patch16_224": ((64, 64), {"img_size": 64, "depth": 2}, "blocks.1", tokens(1, 16)),
    "eva02_tiny_patch14_224": ((56, 56), {"img_size": 56}, "blocks.11", tokens(1, 14)),
    "swin_tiny_patch4_window7_224": ((64, 64), {"img_size": 64, "window_size": 4}, "norm", "nhwc"),
    "swinv2_tiny_window8_256": ((64, 64), {"img_size": 64, "window_size": 4}, "norm", "nhwc"),
    "swinv2_cr_tiny_ns_224": ((64, 64), {"img_size": 64}, "stages.3", "nchw"),
    "maxvit_rmlp_pico_rw_256": ((64, 64), {"img_size": 64}, "norm", "nchw"),
    "coatnet_nano_rw_224": ((64, 64), {"img_size": 64}, "norm", "nchw"),
    "mvitv2_tiny": ((64, 64), {"img_size": 64}, "norm", tokens(0, 32)),
    "efficientformerv2_s0": ((64, 64), {"img_size": 64}, "norm", "nchw"),
    "levit_128s": ((128, 128), {"img_size": 128}, "stages.2", tokens(0, 64)),
    "twins_svt_small": ((64, 64), {}, "norm", tokens(0, 32)),
    "cait_xxs24_224": ((64, 64), {"img_size": 64, "depth": 4}, "blocks.3", tokens(0, 16)),
    "xcit_nano_12_p16_224": ((64, 64), {"img_size": 64}, "cls_attn_blocks.0", tokens(1, 16)),
    "pit_ti_224": ((64, 64), {"img_size": 64}, "transformers.2.blocks.2", tokens(1, 32)),
    "nest_tiny": ((64, 64), {"img_size": 64}, "norm", "nhwc"),
    "hiera_tiny_224": ((64, 64), {"img_size": 64}, "blocks.11", tokens(0, 32)),
    "mixer_s32_224": ((64, 64), {"img_size": 64}, "norm", tokens(0, 32)),
    "resmlp_12_224": ((64, 64), {"img_size": 64}, "norm", tokens(0, 16)),
}

# architectures that cannot work with wrap(model), and why (the README's coverage table lists the same)
NOT_SUPPORTED = {
    "crossvit_tiny_240": "two token branches at different patch sizes, one on an internally resized copy of the "
    "input, so no single layer's tokens tile the input",
    "tnt_s_patch16_224": "its blocks return a (pixel tokens, patch tokens) tuple, so the residual stream cannot be "
    "hooked; only a branch inside a block can",
}


def build(arch: str) -> torch.nn.Module:
    """The random-weight timm model of the case ``arch``; a classifier that timm initialises to zero (so
    that no gradient flows at all) gets small random weights instead."""
    size, kwargs, _, _ = TIMM_CASES[arch]
    torch.manual_seed(0)
    model = timm.create_model(arch, pretrained=False, pretrained_cfg_overlay={"input_size": (3, *size)}, **kwargs)
    for module in model.modules():
        if isinstance(module, torch.nn.Linear) and not module.weight.any():
            torch.nn.init.normal_(module.weight, std=0.02)
    return model.eval()


@pytest.mark.parametrize("arch", list(TIMM_CASES))
def test_wrap_finds_the_layer_and_layout_of_every_family(arch):
    size, _, layer, layout = TIMM_CASES[arch]
    model = build(arch)
    backbone = wrap(model)
    assert backbone.default_layer == layer
    x = torch.randn(1, 3, *size, generator=torch.Generator().manual_seed(1))
    result = explain(backbone, x, METHODS)
    assert_matches(result, reference_maps(model, model.get_submodule(layer), x, layout))


@pytest.mark.parametrize(
    ("arch", "wrong"),
    [
        ("deit_tiny_distilled_patch16_224", tokens(1, 16)),
        ("swin_tiny_patch4_window7_224", "nchw"),
        ("resnet10t", "nhwc"),
    ],
)
def test_a_wrong_layout_in_the_reference_is_caught(arch, wrong):
    """The comparison can fail: the same model against a reference with a wrong layout does not match."""
    size, _, layer, _ = TIMM_CASES[arch]
    model = build(arch)
    x = torch.randn(1, 3, *size, generator=torch.Generator().manual_seed(1))
    result = explain(wrap(model), x, METHODS)
    try:
        references = reference_maps(model, model.get_submodule(layer), x, wrong)
    except RuntimeError:
        return  # the wrong layout cannot even be laid out on this grid
    with pytest.raises(AssertionError):
        assert_matches(result, references)


def readme_coverage() -> tuple[str, dict[str, str], dict[str, str]]:
    """The README's "Your own model" section, its timm rows as {architecture: default layer}, and its
    not-supported rows as {architecture: reason}."""
    text = README.read_text()
    section = text[text.index("## Your own model") :]
    section = section[: section.index("\n## ", 5)]
    working = re.findall(r"^\| [^|`]+ \| `([\w.]+)`(?: \([^)]*\))? \| \d+×\d+ \| `([\w.]+)` \|", section, flags=re.M)
    not_supported = re.findall(r"^\| `([\w.]+)` \| not supported: (.+?) \|$", section, flags=re.MULTILINE)
    return section, dict(working), dict(not_supported)


def test_the_readme_lists_every_architecture_tried_and_why_some_cannot_work():
    section, working, not_supported = readme_coverage()
    assert len(TIMM_CASES) >= 40
    assert working == {arch: case[2] for arch, case in TIMM_CASES.items()}
    assert not_supported == NOT_SUPPORTED
    tried = len(TIMM_CASES) + len(NOT_SUPPORTED)
    assert f"{tried} timm families tried, {len(TIMM_CASES)} working" in section
