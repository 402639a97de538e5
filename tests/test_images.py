"""load_image: every awkward input becomes RGB or one clear ImageError, before any model work."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from cam_methods import ImageError, load_image


def encode(image: Image.Image, fmt: str = "PNG", **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("mode", "fmt"),
    [("RGBA", "PNG"), ("LA", "PNG"), ("P", "PNG"), ("CMYK", "JPEG"), ("I;16", "PNG"), ("1", "PNG"), ("L", "PNG")],
)
def test_colour_modes_become_rgb(mode, fmt):
    source = Image.linear_gradient("L").resize((64, 48)).convert(mode)
    image = load_image(encode(source, fmt))
    assert image.mode == "RGB" and image.size == (64, 48)


def test_sixteen_bit_images_are_rescaled_not_clipped():
    values = (np.arange(64 * 32, dtype=np.uint16).reshape(32, 64) * 30).astype(np.uint16)
    image = load_image(encode(Image.fromarray(values)))
    pixels = np.asarray(image)[..., 0]
    assert pixels.min() == 0 and pixels.max() == 255 and len(np.unique(pixels)) > 100


def test_transparent_pixels_are_composited_on_white():
    rgba = Image.new("RGBA", (32, 32), (255, 0, 0, 0))
    assert np.asarray(load_image(encode(rgba)))[0, 0].tolist() == [255, 255, 255]


def test_exif_orientation_is_applied():
    image = Image.new("RGB", (60, 30), "red")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    assert load_image(encode(image, "JPEG", exif=exif)).size == (30, 60)


def test_animated_gif_gives_its_first_frame():
    frames = [Image.new("RGB", (32, 32), colour) for colour in ("red", "blue", "green")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    red, green, blue = np.asarray(load_image(buffer.getvalue()))[5, 5]
    assert red > 200 and blue < 50


def test_corrupt_and_non_image_bytes_give_clear_errors():
    with pytest.raises(ImageError, match="not an image"):
        load_image(b"this is not an image")
    truncated = encode(Image.new("RGB", (64, 64), "red"), "JPEG")[:200]
    with pytest.raises(ImageError, match="corrupt"):
        load_image(truncated)


@pytest.mark.parametrize("side", [7000, 10000])
def test_huge_images_are_refused_from_the_header_without_decoding(side):
    # A PNG header that claims side×side pixels (49 MP, 100 MP), followed by a tiny image's data.
    header = encode(Image.new("L", (16, 16)))
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    bomb = header[:8] + struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk)) + header[33:]
    with pytest.raises(ImageError, match="40 MP limit"):
        load_image(bomb)


@pytest.mark.parametrize("size", [(1, 1), (8, 200), (2000, 20)])
def test_tiny_and_elongated_images_are_refused(size):
    with pytest.raises(ImageError, match="pixels|elongated"):
        load_image(encode(Image.new("RGB", size)))
