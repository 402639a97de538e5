"""Eigen-CAM's first component from the smaller Gram matrix equals NumPy's SVD first component up to sign."""

import numpy as np
import pytest
import torch

from cam_methods import explain
from cam_methods.gradient import eigencam, first_component


def svd_component(M: np.ndarray) -> np.ndarray:
    """``M v₁`` with v₁ NumPy's first right-singular vector, in float64."""
    _, _, vh = np.linalg.svd(M.astype(np.float64), full_matrices=False)
    return M.astype(np.float64) @ vh[0]


def assert_same_up_to_sign(ours: torch.Tensor, reference: np.ndarray, tolerance: float) -> None:
    ours = ours.double().numpy()
    sign = np.sign(ours @ reference)
    assert np.abs(sign * ours - reference).max() <= tolerance * np.abs(reference).max()


@pytest.mark.parametrize("shape", [(49, 1280), (196, 80), (64, 64), (3, 500)])
def test_first_component_matches_the_svd_for_tall_wide_and_square_matrices(shape):
    generator = torch.Generator().manual_seed(sum(shape))
    low_rank = torch.randn(shape[0], 4, generator=generator) @ torch.randn(4, shape[1], generator=generator)
    M = low_rank + 0.1 * torch.randn(shape, generator=generator)
    M = M - M.mean(dim=0, keepdim=True)
    assert_same_up_to_sign(first_component(M), svd_component(M.numpy()), 1e-5)


def test_bundled_eigencam_equals_the_svd_map_at_every_layer(lite0, chelsea_path):
    for layer in ("bn2", "blocks.5", "blocks.3"):
        A = explain(lite0, chelsea_path, ["gradcam"], layer=layer).evidence.activations
        K, h, w = A.shape
        locations = A.reshape(K, h * w).T
        centred = (locations - locations.mean(dim=0, keepdim=True)).numpy()
        ours = eigencam(A, torch.zeros_like(A)).flatten()
        assert_same_up_to_sign(ours, svd_component(centred), 1e-4)
        mean = locations.mean(dim=1)
        assert float(ours @ (mean - mean.mean())) >= 0  # the sign rule: correlates with the mean activation
