"""The Across-layers tab's handler called directly: the grid is row by row (a method at every layer), the
cells equal a per-layer ``explain``, slow methods are left out by name, a new sweep replaces the old one's
pictures, and bad requests get one sentence."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from cam_methods import explain, load_image
from cam_methods.images import DISPLAY_SIDE
from cam_methods.render import overlay
from studio import layers_tab


def test_the_grid_is_every_method_at_every_layer_and_slow_methods_are_named(chelsea_path, lite0):
    request = SimpleNamespace(session_hash="layers-tab-test")
    methods = ["gradcam", "hirescam", "scorecam"]
    grid, status = layers_tab.on_sweep(chelsea_path, "efficientnet_lite0", methods, "top1", "", "jet", 0.5, request)
    cells = grid.value  # [{"image": {"path": …}, "caption": …}, …]
    assert len(cells) == 2 * len(lite0.layers)
    captions = [cell["caption"] for cell in cells]
    assert captions[0] == "Grad-CAM · blocks.0" and captions[len(lite0.layers)] == "HiResCAM · blocks.0"
    assert "2 methods × 8 layers" in status and "left out (slow at every layer): Score-CAM" in status
    image = load_image(chelsea_path, max_side=DISPLAY_SIDE)
    expected = overlay(image, explain(lite0, image, ["hirescam"], layer="blocks.4").to_image("hirescam"))
    shown = cells[len(lite0.layers) + 4]
    drawn = np.asarray(Image.open(shown["image"]["path"]), dtype=np.float32)
    assert np.abs(drawn - np.asarray(expected, dtype=np.float32)).mean() < 3  # JPEG rounding only
    again, _ = layers_tab.on_sweep(chelsea_path, "efficientnet_lite0", ["gradcam"], "top1", "", "gray", 1, request)
    assert len(again.value) == len(lite0.layers)
    assert all(Path(cell["image"]["path"]).exists() for cell in again.value)
    assert not any(Path(cell["image"]["path"]).exists() for cell in cells)  # the older sweep's pictures are gone


@pytest.mark.parametrize(
    ("image", "methods", "words"),
    [(None, ["gradcam"], "upload an image"), ("chelsea", ["scorecam"], "at least one fast")],
)
def test_a_bad_sweep_request_gets_one_sentence(chelsea_path, image, methods, words):
    request = SimpleNamespace(session_hash="layers-tab-errors")
    path = chelsea_path if image else None
    with pytest.raises(gr.Error) as caught:
        layers_tab.on_sweep(path, "efficientnet_lite0", methods, "top1", "", "jet", 0.5, request)
    assert words in caught.value.message and "\n" not in caught.value.message
