"""Preprocessing that remembers what it did (:class:`Geometry`), so that a map computed on the input
tensor can be laid back onto the uploaded image.
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


@dataclass(frozen=True)
class Geometry:
    """Where the input tensor's pixels came from in the original image.

    ``crop_box`` is (left, top, width, height) in the resized image, whose size is ``resized_size``
    (width, height). The original image was ``original_size`` (width, height).
    """

    original_size: tuple[int, int]
    resized_size: tuple[int, int]
    crop_box: tuple[int, int, int, int]

    def to_original(self, input_map: np.ndarray) -> np.ndarray:
        """Lay an input-aligned H×W map onto the original image: zeros where the crop cut the image away."""
        width0, height0 = self.original_size
        scale_x = width0 / self.resized_size[0]
        scale_y = height0 / self.resized_size[1]
        left, top, width, height = self.crop_box
        x0, y0 = round(left * scale_x), round(top * scale_y)
        box_w = max(1, min(width0 - x0, round(width * scale_x)))
        box_h = max(1, min(height0 - y0, round(height * scale_y)))
        resized = F.interpolate(
            torch.from_numpy(np.ascontiguousarray(input_map, dtype=np.float32))[None, None],
            size=(box_h, box_w),
            mode="bilinear",
            align_corners=False,
        )[0, 0].clamp_(float(input_map.min()), float(input_map.max()))
        out = np.zeros((height0, width0), dtype=np.float32)
        out[y0 : y0 + box_h, x0 : x0 + box_w] = resized.numpy()
        return out


@dataclass(frozen=True)
class Preprocess:
    """Resize-then-centre-crop preprocessing with per-channel normalisation, the usual ImageNet evaluation
    transform: resize the shorter side to ``resize`` (keeping the aspect ratio) → centre-crop
    ``crop_h × crop_w`` → scale to [0, 1] → (x − mean) / std.

    ``resize`` is the target length of the shorter side; ``crop`` is (height, width). ``resize=None``
    resizes straight to the crop size (no crop, aspect ratio not kept), as small test models want.
    """

    crop: tuple[int, int] = (224, 224)
    resize: int | None = 256
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    interpolation: str = "bicubic"

    def __call__(self, image: Image.Image) -> tuple[torch.Tensor, Geometry]:
        """Return the 1×3×H×W input tensor and the :class:`Geometry` that produced it."""
        image = image.convert("RGB")
        width0, height0 = image.size
        crop_h, crop_w = self.crop
        if self.resize is None:
            resized_size = (crop_w, crop_h)
        else:
            scale = self.resize / min(width0, height0)
            resized_size = (max(crop_w, round(width0 * scale)), max(crop_h, round(height0 * scale)))
        resized = image.resize(resized_size, _RESAMPLE[self.interpolation])
        left = (resized_size[0] - crop_w) // 2
        top = (resized_size[1] - crop_h) // 2
        cropped = resized.crop((left, top, left + crop_w, top + crop_h))
        pixels = torch.from_numpy(np.asarray(cropped, dtype=np.float32) / 255.0).permute(2, 0, 1)
        mean = torch.tensor(self.mean).view(3, 1, 1)
        std = torch.tensor(self.std).view(3, 1, 1)
        tensor = ((pixels - mean) / std).unsqueeze(0).contiguous()
        geometry = Geometry((width0, height0), resized_size, (left, top, crop_w, crop_h))
        return tensor, geometry

    def denormalise(self, tensor: torch.Tensor) -> np.ndarray:
        """Turn a 1×3×H×W input tensor back into an H×W×3 uint8 picture (for overlays and FGVis)."""
        mean = torch.tensor(self.mean).view(3, 1, 1)
        std = torch.tensor(self.std).view(3, 1, 1)
        pixels = (tensor.detach()[0].cpu() * std + mean).clamp(0, 1)
        return (pixels.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
