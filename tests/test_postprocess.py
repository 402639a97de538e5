"""Post-processing against PyTorch's own kernel: the separable-matrix bilinear resize equals
``F.interpolate(mode="bilinear", align_corners=False)`` when enlarging, shrinking and keeping a side."""

import pytest
import torch
import torch.nn.functional as F

from cam_methods.postprocess import upsample


@pytest.mark.parametrize(
    ("grid", "size"),
    [((7, 7), (224, 224)), ((7, 11), (224, 352)), ((14, 14), (9, 30)), ((5, 8), (5, 17)), ((1, 3), (4, 4))],
)
def test_upsample_equals_torch_bilinear_interpolation(grid, size):
    generator = torch.Generator().manual_seed(sum(grid) + sum(size))
    grid_map = torch.randn(grid, generator=generator)
    expected = F.interpolate(grid_map[None, None], size=size, mode="bilinear", align_corners=False)[0, 0]
    torch.testing.assert_close(upsample(grid_map, size), expected, rtol=0, atol=1e-6)


def test_a_map_already_at_the_size_is_returned_as_is():
    grid_map = torch.rand(6, 4)
    assert upsample(grid_map, (6, 4)) is grid_map
