"""The sanity checks' other measures (SSIM by hand and against scikit-image when it is installed, top-15 % IoU
by hand) and the randomisation of a model with folded BatchNorms (it must equal randomising the model unfolded)."""

import numpy as np
import pytest
import torch

from cam_methods.comparison import top_iou
from cam_methods.randomisation import cascade_blocks, randomisable_copy, reinitialise
from cam_methods.sanity import MEASURES
from cam_methods.structural_similarity import K1, K2, structural_similarity
from model_zoo.bundled import efficientnet_lite0
from model_zoo.timm_models import EFFICIENTNET_LITE0, timm_backbone

C1, C2 = K1**2, K2**2  # data range 1


def test_ssim_of_two_flat_windows_is_the_constants_ratio():
    # one 7×7 window: μ_a = 0, μ_b = 1, no variance: SSIM = C1 · C2 / ((1 + C1) · C2) = C1 / (1 + C1)
    assert structural_similarity(np.zeros((7, 7)), np.ones((7, 7))) == pytest.approx(C1 / (1 + C1))
    assert structural_similarity(np.full((9, 8), 0.3), np.full((9, 8), 0.3)) == pytest.approx(1.0)


def test_ssim_of_a_binary_map_and_its_negative_by_hand():
    # one 7×7 window with k ones: μ = p = k/49 and 1 − p, sample variances s = k(49 − k)/(49·48) both, covariance −s
    k = 20
    a = np.zeros(49)
    a[:k] = 1
    a = a.reshape(7, 7)
    p, s = k / 49, k * (49 - k) / (49 * 48)
    expected = (2 * p * (1 - p) + C1) * (-2 * s + C2) / ((p**2 + (1 - p) ** 2 + C1) * (2 * s + C2))
    assert structural_similarity(a, 1 - a) == pytest.approx(expected)
    assert expected < -0.9  # structure reversed


def test_ssim_averages_the_windows_inside_the_map():
    # an 8×7 map has two windows (rows 0–6 and 1–7); b differs from a only in the last row, seen by the 2nd window
    rng = np.random.default_rng(0)
    a = rng.random((8, 7))
    b = a.copy()
    b[7] = 1 - b[7]
    second = structural_similarity(a[1:], b[1:])
    assert structural_similarity(a, b) == pytest.approx((1.0 + second) / 2)


def test_ssim_matches_scikit_image_when_installed():
    metrics = pytest.importorskip("skimage.metrics")  # a development oracle only, not a dependency
    rng = np.random.default_rng(1)
    a = rng.random((40, 53))
    b = np.clip(a + 0.3 * rng.standard_normal(a.shape), 0, 1)
    assert structural_similarity(a, b) == pytest.approx(metrics.structural_similarity(a, b, data_range=1.0))


def test_ssim_refuses_maps_it_cannot_window():
    with pytest.raises(ValueError, match="same shape"):
        structural_similarity(np.zeros((8, 8)), np.zeros((8, 9)))
    with pytest.raises(ValueError, match="at least 7"):
        structural_similarity(np.zeros((6, 8)), np.zeros((6, 8)))


def test_top_iou_of_the_top_15_percent_by_hand():
    # 20 pixels: the top 15 % is 3 pixels; a's top {17, 18, 19}, b's top {16, 17, 18}: IoU = 2 / 4
    a = np.arange(20.0).reshape(4, 5)
    b = a.copy()
    b[3, 4] = -1  # pixel 19 drops to the bottom
    assert MEASURES["top_iou"](a, b) == top_iou(a, b) == pytest.approx(2 / 4)


def test_folded_lite0_randomises_as_the_unfolded_model(lite0):
    """Randomising the served Lite0 (BatchNorms folded into its convolutions) gives the same network as
    randomising Lite0 as timm builds it (convolution, then BatchNorm reset to the identity), block by block
    with the same seeds; the random network keeps the input's spatial structure at bn2 (a random bias on
    each folded convolution used to swamp it: bn2 varied across space by ~6 % of its mean)."""
    spec = EFFICIENTNET_LITE0
    weights = efficientnet_lite0()
    unfolded = timm_backbone(spec.arch, spec.display_name, "cnn", weights, spec.layers, cam_layer="bn2")
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    outputs = []
    for backbone in (lite0, unfolded):
        copy = randomisable_copy(backbone)
        for number, block in enumerate(cascade_blocks(copy.model, copy.layers)):
            reinitialise(copy.model, block, seed=number)
        seen = {}
        copy.model.bn2.register_forward_hook(lambda module, args, output, seen=seen: seen.setdefault("bn2", output))
        with torch.no_grad():
            outputs.append((copy.model(x), seen["bn2"]))
    (logits, activation), (unfolded_logits, unfolded_activation) = outputs
    torch.testing.assert_close(activation, unfolded_activation, rtol=1e-4, atol=1e-6 * float(activation.abs().max()))
    torch.testing.assert_close(logits, unfolded_logits, rtol=1e-4, atol=1e-6)
    spatial = activation[0].std(dim=(1, 2)).mean() / activation[0].mean(dim=(1, 2)).abs().mean()
    assert spatial > 0.3
