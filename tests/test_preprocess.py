"""The preprocessing's fast path (8-bit antialiased resize in PyTorch, in-place float32 normalisation) against
the Pillow reference it replaced: inputs within a grey level or two, and the same top-1 and maps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from cam_methods import SHARED_PASS_METHODS, explain
from model_zoo.preprocess import _RESAMPLE, Preprocess

ASSETS = Path(__file__).resolve().parents[1] / "assets"
PHOTOS = sorted(path for path in ASSETS.iterdir() if path.suffix in (".png", ".jpg"))
PANEL = [*SHARED_PASS_METHODS, "finer-gradcam"]


def pillow_reference(preprocess: Preprocess, image: Image.Image) -> torch.Tensor:
    """The previous preprocessing: Pillow resize and crop, then ``(pixels / 255 − mean) / std`` in NumPy."""
    image = image.convert("RGB")
    geometry = preprocess.geometry(image.size)
    left, top, width, height = geometry.crop_box
    resized = image.resize(geometry.resized_size, _RESAMPLE[preprocess.interpolation])
    pixels = np.asarray(resized.crop((left, top, left + width, top + height)), dtype=np.float64) / 255
    normalised = (pixels - np.array(preprocess.mean)) / np.array(preprocess.std)
    return torch.from_numpy(normalised.transpose(2, 0, 1)[None].astype(np.float32))


def grey_levels(difference: torch.Tensor, preprocess: Preprocess) -> torch.Tensor:
    """A difference of normalised inputs in 8-bit grey levels, per channel."""
    return difference.abs() * 255 * torch.tensor(preprocess.std).view(1, 3, 1, 1)


@pytest.mark.parametrize(
    "preprocess",
    [Preprocess(framing="whole", stride=32), Preprocess(), Preprocess(interpolation="bilinear"),
     Preprocess(resize=None, crop=(64, 80)), Preprocess(interpolation="nearest")],
    ids=["whole", "crop", "bilinear", "squash", "nearest"],
)  # fmt: skip
def test_the_input_is_within_a_grey_level_of_pillows(preprocess):
    for path in PHOTOS:
        image = Image.open(path)
        tensor, geometry = preprocess(image)
        levels = grey_levels(tensor - pillow_reference(preprocess, image), preprocess)
        assert tensor.dtype == torch.float32 and tensor.is_contiguous()
        assert tuple(tensor.shape[2:]) == geometry.crop_box[:1:-1]  # (height, width) of the crop
        assert levels.max() <= 1 + 1e-3 and levels.mean() < 0.01, path.name


def test_an_enlarged_small_image_stays_within_two_grey_levels():
    preprocess = Preprocess(framing="whole", stride=32)
    small = Image.open(ASSETS / "chelsea.png").resize((40, 30))
    levels = grey_levels(preprocess(small)[0] - pillow_reference(preprocess, small), preprocess)
    assert levels.max() <= 2 + 1e-3 and levels.mean() < 0.02


def test_top1_and_maps_are_unchanged_on_every_bundled_photo(lite0):
    """Pearson r ≥ 0.999 between each of the 9 maps from the new and the Pillow input, same top-1."""
    for path in PHOTOS:
        image = Image.open(path)
        new = explain(lite0, lite0.preprocess(image)[0], PANEL)
        old = explain(lite0, pillow_reference(lite0.preprocess, image), PANEL)
        assert int(new.probs.argmax()) == int(old.probs.argmax()), path.name
        for method_id in PANEL:
            a, b = (np.asarray(result.maps[method_id], dtype=np.float64).ravel() for result in (new, old))
            assert np.corrcoef(a, b)[0, 1] >= 0.999, (path.name, method_id)
