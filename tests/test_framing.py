"""Framing: a model that takes any input size explains the whole uploaded picture (aspect kept, long side
capped); a fixed-size model explains a centre crop, and the overlay shows the rest as "not seen"."""

import json

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from cam_methods import METHODS, explain, predict, score_maps
from cam_methods.export import write_outputs
from cam_methods.render import NOT_SEEN_BRIGHTNESS, colourise, map_overlay
from model_zoo import Backbone, Preprocess
from model_zoo.preprocess import whole_frame

UPLOAD = (320, 200)  # width × height: a landscape picture
STRIDE = 4
NATIVE = 32


class StridedGap(nn.Module):
    """conv (stride 4) → ReLU (layer ``act``) → global average pool → linear: takes any input size."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 6, STRIDE, stride=STRIDE)
        self.act = nn.ReLU()
        self.fc = nn.Linear(6, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.act(self.conv(x)).mean(dim=(2, 3)))


def small_backbone(framing: str) -> Backbone:
    torch.manual_seed(0)
    model = StridedGap()
    return Backbone(
        name="strided-gap",
        display_name="strided GAP",
        family="cnn",
        model=model,
        preprocess=Preprocess(crop=(NATIVE, NATIVE), resize=NATIVE, framing=framing, stride=STRIDE),
        layers=("conv", "act"),
        default_layer="act",
        labels=tuple(f"class {i}" for i in range(5)),
        cam_layer="act",
        classifier=model.fc,
    )


def upload(seed: int = 0) -> Image.Image:
    """A 320×200 picture of coarse random colour blocks (so every map and overlay has structure)."""
    blocks = np.random.default_rng(seed).integers(0, 255, size=(5, 8, 3), dtype=np.uint8)
    return Image.fromarray(np.kron(blocks, np.ones((40, 40, 1), dtype=np.uint8)))


@pytest.mark.parametrize(
    ("size", "stride", "resized", "box"),
    [
        ((320, 200), 32, (352, 224), (0, 0, 352, 224)),  # short side 224, long 358.4 → nearest multiple of 32
        ((200, 320), 16, (224, 352), (0, 0, 224, 352)),  # portrait: the same, 358.4 → 352 with patches of 16
        ((16, 16), 32, (224, 224), (0, 0, 224, 224)),  # a tiny picture is enlarged to the native size
        ((600, 200), 32, (448, 160), (0, 0, 448, 160)),  # 3:1: long side capped at 2 × 224, short 149.3 → 160
        ((1000, 100), 16, (1120, 112), (336, 0, 448, 112)),  # 10:1: short side floored at 112, long side cropped
    ],
)
def test_whole_frame_keeps_the_aspect_and_caps_the_long_side(size, stride, resized, box):
    assert whole_frame(size, 224, stride) == (resized, box)


def test_whole_frame_sizes_are_stride_multiples_within_the_caps():
    for width in range(16, 1200, 37):
        for height in (16, 150, 300, 1000):
            resized, (left, top, frame_w, frame_h) = whole_frame((width, height), 224, 32)
            assert frame_w % 32 == 0 and frame_h % 32 == 0 and max(frame_w, frame_h) <= 448
            assert min(frame_w, frame_h) >= 96
            if left == top == 0:  # nothing cropped: the aspect is kept up to the rounding to a multiple of 32
                assert (frame_w, frame_h) == resized
                assert abs(frame_w / frame_h - width / height) <= (16 / min(frame_w, frame_h)) * (1 + width / height)


def test_every_method_runs_on_a_non_square_whole_frame():
    backbone = small_backbone("whole")
    options = {"fgvis": {"steps": 3}}
    result = explain(backbone, upload(), list(METHODS), finer_refs=2, options=options)
    assert result.framing == backbone.framing == "whole" and result.geometry.sees_everything
    assert result.input_size == (32, 52)  # 200 → 32, 320 → 51.2 → 52 (a multiple of 4)
    assert result.evidence.activations.shape[1:] == (8, 13)
    for method_id in METHODS:
        heatmap = result.maps[method_id]
        assert heatmap.shape == (32, 52) and np.isfinite(heatmap).all(), method_id
        assert 0 <= heatmap.min() <= heatmap.max() <= 1, method_id
        on_upload = result.to_image(method_id)
        assert on_upload.shape == (200, 320) and np.isfinite(on_upload).all(), method_id
    scores = score_maps(result, ["gradcam", "scorecam", "fgvis"])
    assert all(0 <= score.deletion_auc <= 1 and 0 <= score.insertion_auc <= 1 for score in scores.values())


def test_the_bundled_model_sees_the_whole_picture_and_its_top5_agrees_with_the_maps(lite0, tmp_path):
    picture = upload(1)
    fast = [method_id for method_id, info in METHODS.items() if not info.slow]
    result = explain(lite0, picture, fast)
    assert result.framing == "whole" and result.input_size == (224, 352)
    assert all(result.maps[method_id].shape == (224, 352) for method_id in fast)
    assert all(np.isfinite(result.to_image(method_id)).all() for method_id in fast)
    top5 = predict(lite0, picture)
    assert [lite0.labels[index] for index, _ in top5] == [label for label, _ in result.top_k(5)]
    np.testing.assert_allclose([p for _, p in top5], [p for _, p in result.top_k(5)], rtol=1e-4)

    write_outputs(result, tmp_path)
    assert Image.open(tmp_path / "input.png").size == (352, 224)
    assert Image.open(tmp_path / "gradcam.png").size == UPLOAD
    assert np.load(tmp_path / "maps.npz")["hirescam"].shape == (224, 352)
    manifest = json.loads((tmp_path / "manifest.json").read_text())["parameters"]
    assert manifest["framing"] == "whole" and manifest["input_size"] == [224, 352]


def test_a_crop_framing_shows_the_unseen_part_greyed_never_in_the_colormap():
    backbone = small_backbone("crop")
    picture = upload(2)
    result = explain(backbone, picture, ["gradcam"])
    assert result.framing == "crop" and not result.geometry.sees_everything
    left, top, width, height = result.geometry.seen_box
    assert (top, height) == (0, 200) and abs(left - 60) <= 4 and abs(width - 200) <= 2  # ≈ the centre square
    on_upload = result.to_image("gradcam")
    assert np.isnan(on_upload[:, :left]).all() and np.isnan(on_upload[:, left + width :]).all()
    assert np.isfinite(on_upload[:, left : left + width]).all()

    drawn = np.asarray(map_overlay(result, "gradcam", "jet", 0.5)).astype(int)
    pixels = np.asarray(picture, dtype=np.float64)
    greyed = np.round(NOT_SEEN_BRIGHTNESS * (pixels @ [0.299, 0.587, 0.114]))
    outside = drawn[:, : left - 3]  # beyond the outline drawn just outside the crop
    assert np.abs(outside - greyed[:, : left - 3, None]).max() <= 1
    zero_colour = colourise(np.zeros((1, 1)), "jet")[0, 0].astype(int)
    assert not (outside == zero_colour).all(axis=-1).any()
    inside = drawn[:, left : left + width]
    assert np.abs(inside - greyed[:, left : left + width, None]).mean() > 20  # the map, blended on the picture
    assert (drawn[:, left - 2 : left] == 255).all()  # the outline, white, just outside the seen rectangle
