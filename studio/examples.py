"""The bundled example images: one row of small thumbnails that load the image when clicked, and the name of
the example a file is (by content), which is all a share link can carry of an image."""

from __future__ import annotations

import functools
import hashlib
import tempfile
from pathlib import Path

import gradio as gr
from PIL import Image, ImageOps

ASSETS = Path(__file__).resolve().parent.parent / "assets"
FILES = ("chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg", "grace_hopper.jpg")
EXAMPLES = {Path(file).stem: ASSETS / file for file in FILES}  # name → file, in the strip's order
THUMBNAIL_SIDE = 160  # pixels: sharp at 80 CSS pixels on a 2× screen, a few kB each


@functools.cache
def thumbnails() -> list[tuple[str, str]]:
    """(thumbnail file, example name) of every example: its centred square, written once per process (the
    originals weigh 1.7 MB together)."""
    folder = Path(tempfile.mkdtemp(prefix="camstudio-examples-"))
    items = []
    for name, path in EXAMPLES.items():
        thumbnail = folder / f"{name}.jpg"
        with Image.open(path) as image:
            ImageOps.fit(image.convert("RGB"), (THUMBNAIL_SIDE, THUMBNAIL_SIDE)).save(thumbnail, quality=85)
        items.append((str(thumbnail), name))
    return items


@functools.cache
def digest(path: str) -> str:
    """SHA-256 of a bundled example's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def example_name(image_path: str | None) -> str | None:
    """The name of the bundled example whose bytes ``image_path`` holds (an upload of the same file counts), or
    None for any other image."""
    if not image_path or not Path(image_path).is_file():
        return None
    content = hashlib.sha256(Path(image_path).read_bytes()).hexdigest()
    return next((name for name, path in EXAMPLES.items() if digest(str(path)) == content), None)


def example_strip() -> gr.Gallery:
    """The thumbnails, one row (``studio/canvas.css`` gives them a fixed small height)."""
    return gr.Gallery(
        thumbnails(),
        label="Examples (click one)",
        columns=len(EXAMPLES),
        rows=1,
        height="auto",
        allow_preview=False,
        object_fit="cover",
        buttons=[],
        interactive=False,
        elem_id="examples",
    )


def on_example(event: gr.SelectData) -> str:
    """The clicked example's file."""
    return str(list(EXAMPLES.values())[event.index])
