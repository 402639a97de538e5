"""The gradient family: properties that follow from the papers' definitions and agreement with a
textbook full-backward reference on the real bundled model."""

import numpy as np
import pytest
import torch
from reference_cams import full_pass, reference_map
from toy_models import CHANNELS, SIZE, FlattenLinear, GapLinear, positive_input, toy_backbone

from cam_methods import METHODS, SHARED_PASS_METHODS, MethodNotApplicable, explain
from cam_methods.postprocess import normalise

CLASS = 2


def test_gap_linear_head_makes_cam_gradcam_hirescam_xgradcam_equal():
    torch.manual_seed(1)
    backbone = toy_backbone(GapLinear(), cam=True)
    result = explain(backbone, positive_input(), ["cam", "gradcam", "hirescam", "xgradcam"], target=CLASS)
    reference = result.maps["cam"]
    assert reference.max() == pytest.approx(1.0)  # not a trivially empty map
    for method in ("gradcam", "hirescam", "xgradcam"):
        np.testing.assert_allclose(result.maps[method], reference, atol=1e-5, err_msg=method)


def _flatten_model_with_dead_region() -> tuple[FlattenLinear, np.ndarray]:
    """Class CLASS gives zero weight to the left half of the grid, and positive weight elsewhere."""
    torch.manual_seed(2)
    model = FlattenLinear()
    with torch.no_grad():
        model.conv.weight.abs_()
        model.conv.bias.fill_(0.1)
        weights = torch.rand(CHANNELS, SIZE, SIZE) + 0.1
        weights[:, :, : SIZE // 2] = 0
        model.fc.weight[CLASS] = weights.flatten()
    dead = np.zeros((SIZE, SIZE), dtype=bool)
    dead[:, : SIZE // 2] = True
    return model, dead


def test_flatten_head_hirescam_sums_to_logit_minus_bias():
    model, _ = _flatten_model_with_dead_region()
    x = positive_input()
    result = explain(toy_backbone(model, cam=False), x, ["hirescam"], target=CLASS)
    with torch.no_grad():
        logit = model(x)[0, CLASS]
    total = result.raw_maps["hirescam"].sum()
    assert float(total) == pytest.approx(float(logit - model.fc.bias[CLASS].detach()), rel=1e-5)


def test_flatten_head_hirescam_is_zero_where_weights_are_zero_but_gradcam_is_not():
    model, dead = _flatten_model_with_dead_region()
    result = explain(toy_backbone(model, cam=False), positive_input(), ["hirescam", "gradcam"], target=CLASS)
    hires, grad = result.maps["hirescam"], result.maps["gradcam"]
    assert hires.shape == (SIZE, SIZE)  # grid == input here, so no upsampling blurs the border
    assert np.all(hires[dead] == 0)
    assert hires[~dead].max() == pytest.approx(1.0)
    assert grad[dead].max() > 0.1  # Grad-CAM highlights locations the model did not use


def test_cam_is_refused_where_the_head_is_not_gap_linear():
    model, _ = _flatten_model_with_dead_region()
    with pytest.raises(MethodNotApplicable, match="global-average-pool"):
        explain(toy_backbone(model, cam=False), positive_input(), ["cam"])


@pytest.mark.parametrize("layer", ["bn2", "blocks.5"])
def test_every_gradient_method_matches_the_textbook_full_backward_reference(lite0, chelsea_path, layer):
    methods = [m for m in SHARED_PASS_METHODS if m != "cam" or layer == lite0.cam_layer]
    result = explain(lite0, chelsea_path, methods, layer=layer)
    c = result.target
    A, G, _ = full_pass(lite0.model, lite0.module(layer), result.input_tensor, lambda y: y[0, c])
    fc_row = lite0.classifier.weight[c].detach().numpy().astype(np.float64)
    for method in methods:
        expected = reference_map(method, A, G, fc_row)
        ours = result.raw_maps[method].numpy()
        scale = np.abs(expected).max()
        assert scale > 0, method
        np.testing.assert_allclose(ours / scale, expected / scale, atol=2e-4, err_msg=method)


def test_every_formula_matches_numpy_on_signed_values_zero_gradients_and_zero_denominators():
    generator = torch.Generator().manual_seed(5)
    A = torch.randn(6, 4, 4, generator=generator, dtype=torch.float64)
    G = torch.randn(6, 4, 4, generator=generator, dtype=torch.float64)
    G[:, 0] = 0  # a row of zero gradients
    A[0] = -2 / 16  # channel 0: Σ A = −2 exactly, so Grad-CAM++'s denominator 2G² + ΣA·G³ is 0 where G = 1
    G[0, 1, :2] = 1
    for method in (m for m in SHARED_PASS_METHODS if not METHODS[m].uses_head_weights):
        expected = reference_map(method, A.numpy(), G.numpy())
        np.testing.assert_allclose(METHODS[method].pure(A, G).numpy(), expected, rtol=1e-9, atol=1e-12, err_msg=method)


def test_finer_gradcam_matches_a_direct_backward_of_the_difference_target(lite0, chelsea_path):
    gamma = 0.8
    result = explain(lite0, chelsea_path, ["finer-gradcam", "finer-hirescam"], finer_gamma=gamma)
    c, refs = result.target, list(result.references)
    A, G, _ = full_pass(
        lite0.model, lite0.module(None), result.input_tensor, lambda y: y[0, c] - gamma * y[0, refs].mean()
    )
    for method in ("gradcam", "hirescam"):
        expected = reference_map(method, A, G)
        ours = result.raw_maps[f"finer-{method}"].numpy()
        np.testing.assert_allclose(ours / np.abs(expected).max(), expected / np.abs(expected).max(), atol=2e-4)


def test_capture_back_propagates_only_through_the_layers_after_the_hooked_one(lite0, chelsea_path):
    early_backward_calls = []
    handle = lite0.model.blocks[1].register_full_backward_hook(lambda *args: early_backward_calls.append(1))
    try:
        result = explain(lite0, chelsea_path, ["gradcam"], layer="blocks.5")
        assert early_backward_calls == []
        assert all(p.grad is None for p in lite0.model.parameters())
        full_pass(lite0.model, lite0.module("blocks.5"), result.input_tensor, lambda y: y[0, 0])
        assert early_backward_calls  # the textbook pass does reach it: the hook works
    finally:
        handle.remove()


def test_constant_and_negative_maps_become_zeros_not_nan():
    for raw in (torch.ones(7, 7), torch.zeros(7, 7), -torch.rand(7, 7) - 0.1):
        out = normalise(raw)
        assert torch.isfinite(out).all() and out.abs().max() == 0


def test_eigencam_is_class_agnostic_and_has_no_finer_variant(lite0, chelsea_path):
    first = explain(lite0, chelsea_path, ["eigencam"], target=281)
    second = explain(lite0, chelsea_path, ["eigencam"], target=285)
    np.testing.assert_array_equal(first.maps["eigencam"], second.maps["eigencam"])
    assert "finer-eigencam" not in METHODS
    assert {f"finer-{m}" for m in SHARED_PASS_METHODS if m != "eigencam"} <= set(METHODS)


def test_every_method_has_name_paper_formula_and_a_docstring_with_its_formula():
    for method_id, info in METHODS.items():
        assert info.name and info.paper and info.formula, method_id
        assert info.fn.__doc__ and len(info.fn.__doc__) > 20, method_id
