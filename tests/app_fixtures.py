"""Launching the real app on a free loopback port, and files for every kind of bad upload."""

from __future__ import annotations

import socket
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

GOOD_CONVERSIONS = ("rgba", "la", "cmyk", "i16", "onebit", "palette", "animated_gif", "multipage_tiff")
REFUSED = {"corrupt": "corrupt|not an image", "bomb": "MP limit", "tiny": "at least 16"}  # kind → message


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def launched_app() -> Iterator[str]:
    """The app as ``python app.py`` serves it, on 127.0.0.1 and a free port; yields its URL."""
    import app

    demo = app.serve(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        yield demo.local_url
    finally:
        demo.close()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int = 50_000, height: int = 50_000) -> bytes:
    """A PNG whose header declares width×height pixels but whose data is a few bytes."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", zlib.compress(b"\0" * 64))


def bad_uploads(folder: Path) -> dict[str, Path]:
    """One file per kind: the refused ones (corrupt, header bomb, 1×1) and the converted ones."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    rgb = Image.fromarray(rng.integers(0, 255, (64, 80, 3), dtype=np.uint8))
    files = {
        "corrupt": folder / "corrupt.png",
        "bomb": folder / "bomb.png",
        "tiny": folder / "tiny.png",
        "rgba": folder / "rgba.png",
        "cmyk": folder / "cmyk.jpg",
        "i16": folder / "i16.png",
        "onebit": folder / "onebit.png",
        "palette": folder / "palette.png",
        "animated_gif": folder / "animated.gif",
        "la": folder / "la.png",
        "multipage_tiff": folder / "pages.tif",
    }
    files["corrupt"].write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(rng.integers(0, 255, 200, dtype=np.uint8)))
    files["bomb"].write_bytes(bomb_png())
    Image.new("RGB", (1, 1), "red").save(files["tiny"])
    rgb.convert("RGBA").save(files["rgba"])
    rgb.convert("CMYK").save(files["cmyk"])
    Image.fromarray((rng.integers(0, 65535, (64, 80))).astype(np.uint16)).save(files["i16"])
    rgb.convert("1").save(files["onebit"])
    rgb.convert("P").save(files["palette"])
    frames = [rgb, rgb.transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    frames[0].save(files["animated_gif"], save_all=True, append_images=frames[1:], duration=100, loop=0)
    rgb.convert("LA").save(files["la"])
    frames[0].save(files["multipage_tiff"], save_all=True, append_images=frames[1:])
    return files
