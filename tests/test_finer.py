"""Finer-CAM: references, weighting, γ = 0, and recombination versus a fresh computation."""

import numpy as np
import pytest
import torch

from cam_methods import SHARED_PASS_METHODS, explain
from cam_methods.finer import combine, reference_weights

FINER = [f"finer-{m}" for m in SHARED_PASS_METHODS if m != "eigencam"]


@pytest.fixture(scope="module")
def chelsea(lite0, chelsea_path):
    return explain(lite0, chelsea_path, list(SHARED_PASS_METHODS) + FINER)


def test_references_are_ranks_two_to_four_by_logit(chelsea):
    order = torch.argsort(chelsea.evidence.output[0], descending=True).tolist()
    assert chelsea.target == order[0]
    assert list(chelsea.references) == order[1:4]
    assert chelsea.target_label == "Egyptian cat"  # on the whole picture (224×352)
    assert set(chelsea.reference_labels[:2]) == {"tiger cat", "tabby, tabby cat"}


def test_alpha_zero_reproduces_every_base_method_bit_for_bit(chelsea):
    zero = chelsea.with_gamma(0)
    for finer in FINER:
        base = finer.removeprefix("finer-")
        assert np.array_equal(zero.maps[finer], chelsea.maps[base]), finer


@pytest.mark.parametrize("gamma", [0.3, 1.0, 2.0])
def test_with_gamma_equals_a_fresh_explain(lite0, chelsea_path, chelsea, gamma):
    fresh = explain(lite0, chelsea_path, FINER, finer_gamma=gamma)
    recombined = chelsea.with_gamma(gamma)
    for method in FINER:
        np.testing.assert_allclose(recombined.maps[method], fresh.maps[method], atol=1e-6, err_msg=method)
    assert recombined.finer_gamma == gamma


def test_with_gamma_changes_finer_maps_only_and_makes_no_model_call(lite0, chelsea):
    calls = []
    handle = lite0.model.register_forward_pre_hook(lambda *args: calls.append(1))
    try:
        stronger = chelsea.with_gamma(1.5)
    finally:
        handle.remove()
    assert calls == []
    assert not np.allclose(stronger.maps["finer-gradcam"], chelsea.maps["finer-gradcam"])
    for base in SHARED_PASS_METHODS:
        assert stronger.maps[base] is chelsea.maps[base]


def test_finer_raw_map_is_linear_in_gamma_for_linear_bases(chelsea):
    for method in ("finer-gradcam", "finer-hirescam", "finer-xgradcam", "finer-cam"):
        raw = {g: chelsea.with_gamma(g).raw_maps[method] for g in (0.0, 0.5, 1.0)}
        torch.testing.assert_close(raw[0.0] + raw[1.0], 2 * raw[0.5], atol=1e-5, rtol=1e-5)


def test_probability_weighting_is_renormalised_and_detached():
    probs = torch.tensor([0.2, 0.1, 0.1], requires_grad=True)
    weights = reference_weights(probs, "probability")
    assert not weights.requires_grad
    torch.testing.assert_close(weights, torch.tensor([0.5, 0.25, 0.25]))
    torch.testing.assert_close(reference_weights(probs, "uniform"), torch.full((3,), 1 / 3))
    with pytest.raises(ValueError, match="finer_weighting"):
        reference_weights(probs, "softmax")


def test_combine_subtracts_weighted_references():
    signals = torch.arange(12.0).reshape(4, 3)
    expected = signals[0] - 0.5 * (0.2 * signals[1] + 0.3 * signals[2] + 0.5 * signals[3])
    torch.testing.assert_close(combine(signals, 0.5, torch.tensor([0.2, 0.3, 0.5])), expected)


def test_probability_weighting_differs_from_uniform(lite0, chelsea_path, chelsea):
    weighted = explain(lite0, chelsea_path, ["finer-gradcam"], finer_weighting="probability")
    assert not np.allclose(weighted.maps["finer-gradcam"], chelsea.maps["finer-gradcam"])
    assert weighted.context.reference_weights.sum().item() == pytest.approx(1.0)


def test_finer_refs_sets_the_number_of_references(lite0, chelsea_path):
    assert len(explain(lite0, chelsea_path, ["finer-gradcam"], finer_refs=5).references) == 5
    with pytest.raises(ValueError, match="finer_refs"):
        explain(lite0, chelsea_path, ["finer-gradcam"], finer_refs=0)
