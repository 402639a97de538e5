"""Score-CAM, Abs-CAM (phase 2) and Finer-Score-CAM: formulas, channel cap, shared cache, γ, progress, cancel."""

import contextlib

import numpy as np
import pytest
import torch
from torch import nn
from toy_models import CLASSES, TOY_LABELS, TOY_PREPROCESS, positive_input

from cam_methods import METHODS, explain
from cam_methods.postprocess import upsample
from cam_methods.score_cam import select_channels
from cam_methods.scoring import Cancelled, scorer_for
from model_zoo import Backbone

SLOW_IDS = ("scorecam", "abscam", "finer-scorecam")


@contextlib.contextmanager
def counted_batches(model: torch.nn.Module, backbone: Backbone | None = None, size: tuple[int, int] = (224, 224)):
    """Record the batch size of every forward pass of ``model`` inside the block. With ``backbone``, its scorer is
    first kept to the eager path (``model`` itself) and its batch size measured for ``size`` (H, W) inputs, so only
    the block's passes count."""
    if backbone is not None:
        scorer_for(backbone).only().plan((3, *size))
    sizes: list[int] = []
    handle = model.register_forward_pre_hook(lambda module, inputs: sizes.append(len(inputs[0])))
    try:
        yield sizes
    finally:
        handle.remove()


class PooledGap(nn.Module):
    """conv → ReLU → 2×2 average pool (layer ``pool``, a 4×4 grid on the 8×8 input) → GAP → linear."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, padding=1)
        self.act = nn.ReLU()
        self.pool = nn.AvgPool2d(2)
        self.fc = nn.Linear(6, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.pool(self.act(self.conv(x))).mean(dim=(2, 3)))


@pytest.fixture(scope="module")
def toy() -> Backbone:
    torch.manual_seed(3)
    model = PooledGap()
    return Backbone("pooled", "PooledGap", "cnn", model, TOY_PREPROCESS, ("pool",), "pool", labels=TOY_LABELS)


def minmax(tensor: torch.Tensor) -> torch.Tensor:
    return (tensor - tensor.min()) / (tensor.max() - tensor.min())


def reference_masks(result) -> tuple[list[int], list[torch.Tensor], list[float]]:
    """Straight from Score-CAM (Wang et al. 2020), one image at a time: non-constant channels, masks, p_c(x ⊙ H_k)."""
    A, x = result.evidence.activations, result.input_tensor
    channels = [k for k in range(len(A)) if A[k].max() > A[k].min()]
    masks = [minmax(upsample(A[k], x.shape[-2:])) for k in channels]
    with torch.no_grad():
        scores = [result.backbone.model(x * mask).softmax(dim=-1)[0, result.target].item() for mask in masks]
    return channels, masks, scores


def test_scorecam_and_abscam_match_the_formulas_computed_one_image_at_a_time(toy):
    result = explain(toy, positive_input(), ["scorecam", "abscam"], options={"scorecam": {"batch_size": 3}})
    A = result.evidence.activations
    channels, masks, scores = reference_masks(result)
    assert 0 < len(channels) < len(A) + 1
    expected_scorecam = sum(s * A[k] for k, s in zip(channels, scores, strict=True))
    torch.testing.assert_close(result.raw_maps["scorecam"], expected_scorecam, rtol=1e-5, atol=1e-6)
    beta = result.evidence.gradients[0].abs().mean(dim=(1, 2))
    expected_abscam = sum(s * m for k, s, m in zip(channels, scores, masks, strict=True) if beta[k] > 0)
    # Abs-CAM is returned on the layer grid; upsampled, it is Σ_k s_k H_k at the input size.
    torch.testing.assert_close(upsample(result.raw_maps["abscam"], (8, 8)), expected_abscam, rtol=1e-5, atol=1e-6)


def test_constant_channels_are_skipped_and_the_cap_keeps_the_largest_beta():
    A = torch.stack([torch.full((3, 3), 5.0), torch.zeros(3, 3), torch.rand(3, 3), torch.rand(3, 3), torch.rand(3, 3)])
    beta = torch.tensor([9.0, 8.0, 0.1, 0.3, 0.2])
    assert select_channels(A, beta, None).tolist() == [3, 4, 2]
    assert select_channels(A, beta, 2).tolist() == [3, 4]


def test_bundled_maps_are_in_unit_range_deterministic_honour_the_cap_and_share_masked_passes(lite0, chelsea_path):
    options = {"scorecam": {"max_channels": 3, "batch_size": 2}, "abscam": {"max_channels": 5, "batch_size": 2}}
    with counted_batches(lite0.model, lite0, (224, 352)) as sizes:  # chelsea, whole, on Lite0
        first = explain(lite0, chelsea_path, list(SLOW_IDS), options=options)
    # capture (1), Score-CAM's 3 masks in batches of 2, then only Abs-CAM's 2 further masks: Finer-Score-CAM
    # and the 3 channels the two methods share come from the cache.
    assert sizes == [1, 2, 1, 2]
    second = explain(lite0, chelsea_path, list(SLOW_IDS), options=options)
    for method in SLOW_IDS:
        heatmap = first.maps[method]
        assert heatmap.shape == (224, 352) and heatmap.dtype == np.float32, method
        assert heatmap.min() >= 0 and heatmap.max() <= 1 and heatmap.max() > 0.5, method
        np.testing.assert_array_equal(heatmap, second.maps[method], err_msg=method)


@pytest.fixture(scope="module")
def finer(lite0, chelsea_path):
    options = {"scorecam": {"max_channels": 6}}
    return explain(lite0, chelsea_path, ["scorecam", "finer-scorecam"], finer_gamma=0.0, options=options)


def test_gamma_zero_reproduces_scorecam_bit_for_bit(finer):
    assert torch.equal(finer.raw_maps["finer-scorecam"], finer.raw_maps["scorecam"])
    np.testing.assert_array_equal(finer.maps["finer-scorecam"], finer.maps["scorecam"])


def test_new_gamma_recombines_cached_scores_without_model_calls_and_is_linear(finer, lite0):
    with counted_batches(lite0.model) as sizes:
        raw = {gamma: finer.with_gamma(gamma).raw_maps["finer-scorecam"] for gamma in (0.0, 0.6, 1.2)}
    assert sizes == []
    assert not torch.equal(raw[0.6], raw[0.0])
    torch.testing.assert_close(raw[1.2] - raw[0.6], raw[0.6] - raw[0.0], rtol=1e-4, atol=1e-6)
    assert torch.equal(raw[0.0], finer.raw_maps["scorecam"])


def test_baseline_subtraction_scores_the_baseline_once_and_shifts_every_weight(toy):
    x = positive_input(1)
    plain = explain(toy, x, ["scorecam"])
    with counted_batches(toy.model, toy, (8, 8)) as sizes:
        shifted = explain(toy, x, ["scorecam"], options={"scorecam": {"subtract_baseline": True, "batch_size": 8}})
    A = plain.evidence.activations
    channels = select_channels(A, plain.evidence.gradients[0].abs().mean(dim=(1, 2)), None)
    assert sizes == [1, len(channels), 1]  # the capture, all masked images in one batch, the all-zero baseline
    with torch.no_grad():
        baseline = toy.model(torch.zeros_like(x)).softmax(dim=-1)[0, plain.target]
    expected = plain.raw_maps["scorecam"] - baseline * A[channels].sum(dim=0)
    torch.testing.assert_close(shifted.raw_maps["scorecam"], expected, rtol=1e-5, atol=1e-6)


def test_progress_rises_to_one_and_cancel_stops_the_masked_passes(toy):
    seen: list[float] = []
    explain(
        toy,
        positive_input(),
        ["scorecam"],
        options={"scorecam": {"batch_size": 1}},
        progress=lambda f, m: seen.append(f),
    )
    assert len(seen) > 1 and seen == sorted(seen) and seen[-1] == 1.0
    with pytest.raises(Cancelled):
        explain(toy, positive_input(), ["scorecam"], cancel=lambda: True)


def test_registry_entries_and_option_checks(toy):
    assert {METHODS[m].family for m in ("scorecam", "abscam")} == {"perturbation"}
    assert METHODS["finer-scorecam"].family == "finer" and METHODS["finer-scorecam"].base == "scorecam"
    assert all(METHODS[m].slow for m in SLOW_IDS) and "abscam1" in METHODS
    with pytest.raises(ValueError, match="unknown option"):
        explain(toy, positive_input(), ["scorecam"], options={"scorecam": {"channels": 3}})
    with pytest.raises(ValueError, match="max_channels"):
        explain(toy, positive_input(), ["abscam"], options={"abscam": {"max_channels": 0}})
