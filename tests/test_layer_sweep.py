"""``explain(..., layers=...)``: the maps of every chosen layer from one capture equal per-layer ``explain``
calls, with one forward pass and no backward below the earliest chosen layer; bad names get one sentence."""

from __future__ import annotations

import numpy as np
import pytest
import timm
import torch
from PIL import Image

from cam_methods import explain
from model_zoo import wrap

SWEEP_METHODS = ["gradcam", "hirescam", "layercam", "eigencam", "finer-gradcam"]


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def count_calls(module: torch.nn.Module, calls: list[str], name: str, backward: bool = False):
    hook = module.register_full_backward_hook if backward else module.register_forward_hook
    return hook(lambda *_: calls.append(name))


def assert_sweep_equals_single_layers(backbone, x, layers) -> None:
    calls: list[str] = []
    handle = count_calls(backbone.model, calls, "forward")
    try:
        sweep = explain(backbone, x, SWEEP_METHODS, layers=layers)
    finally:
        handle.remove()
    assert calls == ["forward"]
    expected = list(backbone.layers) if layers == "all" else layers
    assert list(sweep.per_layer) == expected
    for layer, at_layer in sweep.per_layer.items():
        single = explain(backbone, x, SWEEP_METHODS, layer=layer)
        assert at_layer.layer == layer and at_layer.per_layer is sweep.per_layer
        for method_id in SWEEP_METHODS:
            if single.maps[method_id].std() > 0:
                assert pearson(at_layer.maps[method_id], single.maps[method_id]) > 0.99999, (layer, method_id)
            np.testing.assert_allclose(at_layer.maps[method_id], single.maps[method_id], atol=1e-4)


def test_every_stage_of_lite0_from_one_forward_equals_per_layer_calls(lite0, chelsea_path):
    x = torch.nn.functional.interpolate(lite0.prepare(Image.open(chelsea_path))[0], size=(128, 128), mode="area")
    assert_sweep_equals_single_layers(lite0, x, "all")


@pytest.fixture(scope="module")
def small_vit():
    torch.manual_seed(0)
    model = timm.create_model("vit_tiny_patch16_224", pretrained=False, img_size=64, depth=3)
    model.pretrained_cfg = {**model.pretrained_cfg, "input_size": (3, 64, 64)}
    return wrap(model)


def test_the_blocks_of_a_random_vit_from_one_forward_equal_per_layer_calls(small_vit):
    torch.manual_seed(1)
    x = torch.randn(1, 3, 64, 64)
    assert_sweep_equals_single_layers(small_vit, x, ["blocks.0", "blocks.1.mlp", "blocks.1"])


def test_nothing_below_the_earliest_chosen_layer_is_back_propagated(lite0):
    calls: list[str] = []
    handles = [
        count_calls(lite0.model.get_submodule(name), calls, name, backward=True)
        for name in ("conv_stem", "blocks.1", "blocks.3", "blocks.5")
    ]
    try:
        explain(lite0, torch.randn(1, 3, 64, 64), ["gradcam"], layers=["blocks.5", "blocks.2"])
    finally:
        for handle in handles:
            handle.remove()
    assert calls == ["blocks.5", "blocks.3"]  # the target alone: one backward, stopping at blocks.2's output


def test_the_returned_explanation_is_the_chosen_or_default_layer_and_gamma_changes_every_layer(lite0):
    x = torch.randn(1, 3, 64, 64)
    sweep = explain(lite0, x, ["finer-gradcam"], layers=["blocks.4", "blocks.6"])
    assert sweep.layer == "blocks.6" and list(sweep.per_layer) == ["blocks.4", "blocks.6"]
    assert explain(lite0, x, ["gradcam"], layers="all").layer == lite0.default_layer
    assert explain(lite0, x, ["gradcam"], layers="all", layer="blocks.3").layer == "blocks.3"
    stronger = sweep.with_gamma(2.0)
    assert stronger.layer == "blocks.6" and set(stronger.per_layer) == {"blocks.4", "blocks.6"}
    for layer, at_layer in stronger.per_layer.items():
        direct = explain(lite0, x, ["finer-gradcam"], layer=layer, finer_gamma=2.0)
        np.testing.assert_allclose(at_layer.maps["finer-gradcam"], direct.maps["finer-gradcam"], atol=1e-5)
        assert at_layer.finer_gamma == 2.0


@pytest.mark.parametrize(
    ("layers", "layer", "words"),
    [
        (["blocks.9"], None, "has no layer 'blocks.9'"),
        ("every", None, 'a list of layer names or "all"'),
        ([], None, "has no layer named"),
        (["blocks.1"], "blocks.2", "is not among the swept layers"),
    ],
)
def test_bad_layer_names_get_one_sentence(lite0, layers, layer, words):
    with pytest.raises(ValueError) as caught:
        explain(lite0, torch.randn(1, 3, 64, 64), ["gradcam"], layers=layers, layer=layer)
    message = str(caught.value)
    assert words in message and "\n" not in message and message.count(". ") == 0
