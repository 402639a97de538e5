"""Preprocessing that remembers what it did (:class:`Geometry`), so that a map computed on the input
tensor can be laid back onto the uploaded image.

Two framings (``Preprocess.framing``):

- ``"crop"``: the usual ImageNet evaluation transform, resize the shorter side then centre-crop, for models
  that take one input size only (CLIP, wrapped Hugging Face models). The model never sees the rest.
- ``"whole"``: the whole picture at its own aspect ratio, for models that take any input size (global-average-pool
  CNNs, timm ViTs built with ``dynamic_img_size``): see :func:`whole_frame`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

_RESAMPLE = {
    "bicubic": Image.Resampling.BICUBIC,
    "bilinear": Image.Resampling.BILINEAR,
    "nearest": Image.Resampling.NEAREST,
}
_TORCH_MODES = ("bicubic", "bilinear")  # resized by F.interpolate(antialias=True), which matches Pillow's filters
FRAMINGS = ("crop", "whole")
WHOLE_LONGEST = 2.0  # whole framing: the long side is at most 2× the model's native size ...
WHOLE_SHORTEST = 0.5  # ... and the short side at least half of it, so past 4:1 the long side is centre-cropped

Box = tuple[int, int, int, int]  # left, top, width, height


@dataclass(frozen=True)
class Geometry:
    """Where the input tensor's pixels came from in the original image.

    ``crop_box`` is (left, top, width, height) in the resized image, whose size is ``resized_size``
    (width, height). The original image was ``original_size`` (width, height). ``framing`` is the
    :class:`Preprocess` framing that made it ("crop" or "whole").
    """

    original_size: tuple[int, int]
    resized_size: tuple[int, int]
    crop_box: Box
    framing: str = "crop"

    @property
    def seen_box(self) -> Box:
        """(left, top, width, height) of the part of the original image that the model saw."""
        width0, height0 = self.original_size
        scale_x = width0 / self.resized_size[0]
        scale_y = height0 / self.resized_size[1]
        left, top, width, height = self.crop_box
        x0, y0 = round(left * scale_x), round(top * scale_y)
        box_w = max(1, min(width0 - x0, round(width * scale_x)))
        return x0, y0, box_w, max(1, min(height0 - y0, round(height * scale_y)))

    @property
    def sees_everything(self) -> bool:
        """True when the model saw the whole original image (nothing was cropped away)."""
        return self.seen_box == (0, 0, *self.original_size)

    def to_original(self, input_map: np.ndarray) -> np.ndarray:
        """Lay an input-aligned H×W map onto the original image (bilinear, clamped to the map's range):
        NaN where the crop cut the image away, since the model did not see those pixels."""
        x0, y0, box_w, box_h = self.seen_box
        resized = F.interpolate(
            torch.from_numpy(np.ascontiguousarray(input_map, dtype=np.float32))[None, None],
            size=(box_h, box_w),
            mode="bilinear",
            align_corners=False,
        )[0, 0].clamp_(float(np.nanmin(input_map)), float(np.nanmax(input_map)))
        out = np.full(self.original_size[::-1], np.nan, dtype=np.float32)
        out[y0 : y0 + box_h, x0 : x0 + box_w] = resized.numpy()
        return out


def centre_crop_frame(size: tuple[int, int], crop: tuple[int, int], resize: int | None) -> tuple[tuple[int, int], Box]:
    """Resize the shorter side to ``resize`` (aspect kept), then centre-crop ``crop`` = (height, width);
    ``resize=None`` resizes straight to the crop size (aspect not kept, nothing cut away).
    Returns the resized (width, height) and the crop box in it."""
    width0, height0 = size
    crop_h, crop_w = crop
    if resize is None:
        resized = (crop_w, crop_h)
    else:
        scale = resize / min(width0, height0)
        resized = (max(crop_w, round(width0 * scale)), max(crop_h, round(height0 * scale)))
    return resized, ((resized[0] - crop_w) // 2, (resized[1] - crop_h) // 2, crop_w, crop_h)


def whole_frame(size: tuple[int, int], native: int, stride: int) -> tuple[tuple[int, int], Box]:
    """The whole picture at its aspect ratio: the shorter side becomes ``native`` (the model's training size)
    unless the long side would pass ``WHOLE_LONGEST × native``, then the long side is that cap; the short side
    never drops below ``WHOLE_SHORTEST × native`` (past about 4:1 the long side is centre-cropped to the cap). Both
    sides are rounded to a multiple of ``stride`` (the network's total stride or patch size, so the feature
    grid tiles the input exactly; this stretches the aspect ratio by at most stride / 2 pixels per side).
    Small images are enlarged to the same size. Returns the resized (width, height) and the crop box in it."""

    def multiple(length: float) -> int:
        return max(stride, round(length / stride) * stride)

    longest = multiple(WHOLE_LONGEST * native)
    shortest = max(stride, int(WHOLE_SHORTEST * native) // stride * stride)  # rounded down: fewer crops
    scale = max(min(native / min(size), longest / max(size)), shortest / min(size))
    scaled = [side * scale for side in size]
    frame = [min(multiple(side), longest) for side in scaled]
    resized = tuple(round(side) if side > longest else kept for side, kept in zip(scaled, frame, strict=True))
    return resized, ((resized[0] - frame[0]) // 2, (resized[1] - frame[1]) // 2, frame[0], frame[1])


@dataclass(frozen=True)
class Preprocess:
    """The model's input transform with per-channel normalisation: frame the picture (``framing``) → scale to
    [0, 1] → (x − mean) / std.

    ``framing="crop"``, the usual ImageNet evaluation transform: resize the shorter side to ``resize``
    (keeping the aspect ratio) → centre-crop ``crop`` = (height, width). ``resize=None`` resizes straight to
    the crop size (no crop, aspect ratio not kept), as small test models want.
    ``framing="whole"``: the whole picture, see :func:`whole_frame`, with ``min(crop)`` as the native size and
    sides rounded to a multiple of ``stride``; ``resize`` is not used.
    """

    crop: tuple[int, int] = (224, 224)
    resize: int | None = 256
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    interpolation: str = "bicubic"
    framing: str = "crop"
    stride: int = 1

    def __post_init__(self) -> None:
        if self.framing not in FRAMINGS:
            raise ValueError(f"framing must be one of {FRAMINGS}, not {self.framing!r}")
        if self.stride < 1:
            raise ValueError(f"stride must be a positive number of pixels, not {self.stride!r}")

    def geometry(self, size: tuple[int, int]) -> Geometry:
        """Where an image of ``size`` = (width, height) goes: the resized size and the box the model sees."""
        if self.framing == "whole":
            resized, box = whole_frame(size, min(self.crop), self.stride)
        else:
            resized, box = centre_crop_frame(size, self.crop, self.resize)
        return Geometry(tuple(size), resized, box, self.framing)

    def __call__(self, image: Image.Image) -> tuple[torch.Tensor, Geometry]:
        """Return the 1×3×H×W input tensor and the :class:`Geometry` that produced it.

        Bicubic and bilinear resizing run on the 8-bit pixels in PyTorch (``antialias=True``: the same
        filters as Pillow's, within one grey level after rounding, at about half the time); the
        normalisation is one in-place ``x · 1/(255·std) − mean/std`` on the float32 crop.
        """
        image = image.convert("RGB")
        geometry = self.geometry(image.size)
        left, top, width, height = geometry.crop_box
        if self.interpolation in _TORCH_MODES:
            pixels = torch.from_numpy(np.array(image)).permute(2, 0, 1).unsqueeze(0)
            resized = F.interpolate(pixels, size=geometry.resized_size[::-1], mode=self.interpolation, antialias=True)
            cropped = resized[:, :, top : top + height, left : left + width]
        else:
            resized = image.resize(geometry.resized_size, _RESAMPLE[self.interpolation])
            cropped = torch.from_numpy(np.array(resized.crop((left, top, left + width, top + height))))
            cropped = cropped.permute(2, 0, 1).unsqueeze(0)
        tensor = cropped.to(torch.float32, memory_format=torch.contiguous_format)
        std = torch.tensor(self.std).view(1, 3, 1, 1)
        return tensor.mul_(1.0 / (255.0 * std)).sub_(torch.tensor(self.mean).view(1, 3, 1, 1) / std), geometry

    def denormalise(self, tensor: torch.Tensor) -> np.ndarray:
        """Turn a 1×3×H×W input tensor back into an H×W×3 uint8 picture (for overlays and FGVis)."""
        mean = torch.tensor(self.mean).view(3, 1, 1)
        std = torch.tensor(self.std).view(3, 1, 1)
        pixels = (tensor.detach()[0].cpu() * std + mean).clamp(0, 1)
        return (pixels.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
