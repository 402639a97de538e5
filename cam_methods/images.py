"""Opening user images safely: one clear :class:`ImageError` for anything that is not a usable photo.

- Corrupt bytes and non-images are refused with a sentence, not a traceback.
- Images above :data:`MAX_PIXELS` are refused from their header alone, before decoding (this also stops
  decompression bombs); Pillow's own bomb check is turned into the same error. Decoding therefore holds at
  most 4 bytes × 40 MP = 160 MB (RGBA, CMYK, 32-bit modes); with ``max_side`` JPEGs decode at a reduced
  scale and high-bit-depth images are shrunk before they are rescaled, so a 40 MP 16-bit PNG peaks near
  250 MB rather than ~1 GB.
- Pillow's decoders and its EXIF reader raise many exception types on hostile files (``struct.error``,
  ``TypeError``, ``ValueError`` from a PPM header ...); every one becomes the same :class:`ImageError`.
- EXIF orientation is applied; animated GIFs and multi-page TIFFs give their first frame.
- Every colour mode becomes RGB: alpha is composited on white, 16-bit and float images are rescaled to
  8 bits instead of being clipped, 1-bit, palette and CMYK images are converted.
- Images smaller than :data:`MIN_SIDE` or more elongated than :data:`MAX_ASPECT` are refused. The check reads
  the decoded size, once, before any shrinking, so a picture that passes keeps passing after it.
"""

from __future__ import annotations

import io
import os
import struct
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 40_000_000  # a 40 MP phone photo opens; decoding it holds at most 160 MB
MIN_SIDE = 16  # below this a 7×7 feature map has less than one pixel per cell
MAX_ASPECT = 12.0  # past 12:1 the 224-px centre crop shows a sliver of the picture
DISPLAY_SIDE = 1024  # the app and the CLI shrink every picture to this longest side before explaining it

# What Pillow raises on a file it cannot decode, besides its own UnidentifiedImageError.
DECODER_ERRORS = (OSError, SyntaxError, ValueError, TypeError, IndexError, KeyError, struct.error, EOFError)
BOMB_ERRORS = (Image.DecompressionBombWarning, Image.DecompressionBombError)
HIGH_BIT_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")


class ImageError(ValueError):
    """The input is not a usable image; the message says why, in one sentence."""


def load_image(source: Image.Image | str | os.PathLike | bytes, max_side: int | None = None) -> Image.Image:
    """Open ``source`` (a PIL image, a path, or raw bytes) and return a validated RGB image.

    With ``max_side`` the result fits in a ``max_side`` square (aspect kept). A result is marked as
    validated, so passing it in again (as the app and CLI do on their way to :func:`explain`) costs nothing.
    """
    if isinstance(source, Image.Image) and source.info.get("camstudio-validated"):
        return source
    image = source if isinstance(source, Image.Image) else _open(source)
    _check_size(image.size)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = _decoded(image, max_side)
    except BOMB_ERRORS + DECODER_ERRORS as error:
        raise ImageError(f"The image could not be decoded ({error}); it may be truncated or corrupt.") from error
    image.info["camstudio-validated"] = True
    return image


def _decoded(image: Image.Image, max_side: int | None) -> Image.Image:
    """Decode the first frame, apply EXIF orientation, shrink to ``max_side``, convert to RGB."""
    image.seek(0)
    if max_side and image.format == "JPEG":
        image.draft("RGB", (max_side, max_side))  # decode at 1/2, 1/4 or 1/8 scale when that suffices
    image.load()
    image = ImageOps.exif_transpose(image)
    if image.mode in HIGH_BIT_MODES and image.mode != "F":
        image = image.convert("I")  # Pillow resizes 32-bit integers, not 16-bit ones
    if max_side:
        image.thumbnail((max_side, max_side))
    return _to_rgb(image)


def _open(source: str | os.PathLike | bytes) -> Image.Image:
    if isinstance(source, bytes):
        stream, name = io.BytesIO(source), "The uploaded data"
    else:
        path = Path(source)
        if not path.is_file():
            raise ImageError(f"No image file called {path.name!r}; please check the path or upload it again.")
        stream, name = path, f"The file {path.name!r}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(stream)
    except (UnidentifiedImageError, *BOMB_ERRORS) as error:
        if isinstance(error, UnidentifiedImageError):
            raise ImageError(
                f"{name} is not an image Pillow can read (PNG, JPEG, WebP, GIF, TIFF, BMP ...)."
            ) from error
        raise ImageError(
            f"{name} declares more pixels than the {MAX_PIXELS / 1e6:.0f} MP limit; it was not decoded."
        ) from error
    except DECODER_ERRORS as error:
        raise ImageError(f"{name} could not be read ({error}); it may be truncated or corrupt.") from error


def _check_size(size: tuple[int, int]) -> None:
    width, height = size
    if width * height > MAX_PIXELS:
        raise ImageError(
            f"The image is {width}×{height} = {width * height / 1e6:.0f} MP, "
            f"above the {MAX_PIXELS / 1e6:.0f} MP limit; please resize it."
        )
    if min(width, height) < MIN_SIDE:
        raise ImageError(f"The image is only {width}×{height} pixels; it needs at least {MIN_SIDE} on each side.")
    if max(width, height) / min(width, height) > MAX_ASPECT:
        raise ImageError(f"The image is {width}×{height}, too elongated (more than {MAX_ASPECT:.0f}:1) to explain.")


def _to_rgb(image: Image.Image) -> Image.Image:
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in HIGH_BIT_MODES:
        values = np.asarray(image, dtype=np.float32)
        low, high = float(values.min()), float(values.max())
        scaled = (values - low) / (high - low) * 255 if high > low else np.zeros_like(values)
        return Image.fromarray(scaled.round().astype(np.uint8), "L").convert("RGB")
    if mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")
