"""Rendering: overlays blend exactly as documented, and grids lay out every map."""

import numpy as np
import pytest
from matplotlib import colormaps
from PIL import Image

from cam_methods.render import COLORMAPS, blend, colourise, grid_figure, overlay


def test_overlay_blends_image_and_colours_by_opacity():
    image = Image.fromarray(np.full((6, 8, 3), 100, dtype=np.uint8))
    heatmap = np.linspace(0, 1, 48, dtype=np.float32).reshape(6, 8)
    colours = colourise(heatmap, "viridis").astype(np.float32)
    assert np.array_equal(np.asarray(overlay(image, heatmap, "viridis", 0.0)), np.asarray(image))
    assert np.array_equal(np.asarray(overlay(image, heatmap, "viridis", 1.0)), colours.astype(np.uint8))
    half = np.asarray(overlay(image, heatmap, "viridis", 0.5)).astype(np.float32)
    np.testing.assert_allclose(half, (100 + colours) / 2, atol=0.51)


def test_blend_by_table_is_the_float_formula_for_every_pixel_colour_pair():
    pixels, colours = (grid.astype(np.uint8) for grid in np.meshgrid(np.arange(256), np.arange(256)))
    for opacity in np.linspace(0, 1, 21).tolist() + [0.123, 0.999]:
        expected = ((1 - opacity) * pixels.astype(np.float32) + opacity * colours.astype(np.float32)).round()
        assert np.array_equal(blend(pixels, colours, opacity), expected.astype(np.uint8))
        assert np.array_equal(blend(pixels.astype(np.float32), colours, opacity), expected.astype(np.uint8))


@pytest.mark.parametrize("cmap", COLORMAPS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_colourise_gives_matplotlibs_colours_exactly(cmap, dtype):
    """The table lookup against matplotlib's own call, on random values, both ends, the entries' edges
    (k / N, where rounding decides the entry), values outside [0, 1] and NaN."""
    edges = np.arange(257) / 256
    values = np.concatenate([np.random.default_rng(0).random(500), edges, edges - 1e-7, [-0.5, 1.5, np.nan]])
    values = values.astype(dtype).reshape(1, -1)
    for signed, shown in ((False, values), (True, 2 * values - 1)):
        on_scale = (shown + 1) / 2 if signed else shown  # a signed map is drawn with zero at mid-scale
        expected = (colormaps[cmap](np.clip(on_scale, 0, 1))[..., :3] * 255).round().astype(np.uint8)
        assert np.array_equal(colourise(shown, cmap, signed), expected)


def test_signed_maps_put_zero_at_the_middle_of_the_colormap():
    zero, low, high = colourise(np.array([[0.0, -1.0, 1.0]]), "coolwarm", signed=True)[0]
    assert low[2] > low[0] and high[0] > high[2]  # blue for negative, red for positive
    assert abs(int(zero[0]) - int(zero[2])) < 30  # near grey at zero


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="unknown colormap"):
        colourise(np.zeros((2, 2)), "rainbowz")
    with pytest.raises(ValueError, match="does not match"):
        overlay(Image.new("RGB", (4, 4)), np.zeros((3, 3)))


def test_grid_has_one_panel_per_map_plus_the_input():
    image = np.zeros((10, 12, 3), dtype=np.uint8)
    figure = grid_figure(image, [np.zeros((10, 12))] * 5, [f"m{i}" for i in range(5)], columns=3)
    titled = [axis.get_title() for axis in figure.axes if axis.get_title()]
    assert titled == ["input", "m0", "m1", "m2", "m3", "m4"]
