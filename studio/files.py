"""Files on disk: each session's rendered pictures, in one folder per session inside Gradio's cache.

Why there: Gradio serves a file that already lies in its cache folder as it is, without copying it, so
each picture exists once and deleting it really frees the space. Why unique names: Gradio and browsers
cache by URL, and a picture is written once under a fresh name (atomically: written beside, then
renamed), so a page never loads a half-written or outdated file. Why bounded: each folder keeps at most
``MAX_FILES_PER_SESSION`` pictures (least recently used deleted first), and the session store keeps the
folders together under ``DISK_BUDGET_BYTES``.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path

import gradio as gr
from gradio.utils import get_upload_folder
from PIL import Image

from .limits import MAX_FILES_PER_SESSION, OVERLAY_QUALITY


def output_root() -> Path:
    """The folder holding every session's folder: ``<Gradio cache>/camstudio``."""
    return Path(get_upload_folder()).resolve() / "camstudio"


def serve_in_place() -> None:
    """Declare the session folders static to Gradio: it then hands out their files as they are, without checking
    each one against its allowed folders and cache on every answer. Call it before building the page: Gradio
    checks every output file against its static paths in the order they were declared (two path resolutions
    each), and building declares a few icons; first in line, a slider move's files are placed after one check
    instead of three (~10 ms less a move, measured side by side in the browser)."""
    gr.set_static_paths([output_root()])


def jpeg(draw: Callable[[], Image.Image]) -> Callable[[Path], None]:
    """A writer saving ``draw()`` as JPEG (overlays: small, and exactness does not matter on screen)."""

    def write(path: Path) -> None:
        picture = draw()
        picture = picture if picture.mode == "RGB" else picture.convert("RGB")  # (``convert`` copies even RGB)
        picture.save(path, format="JPEG", quality=OVERLAY_QUALITY)

    return write


def png(draw: Callable[[], Image.Image]) -> Callable[[Path], None]:
    """A writer saving ``draw()`` as PNG (pictures shown exactly: the preview, FGVis's input)."""
    return lambda path: draw().save(path, format="PNG", compress_level=1)


class SessionFiles:
    """One session's files: ``path(key, write, suffix)`` writes a file once per key and reuses it."""

    def __init__(self, name: str) -> None:
        self.folder = output_root() / name
        self._files: OrderedDict[Hashable, tuple[Path, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.bytes = 0

    def path(self, key: Hashable, write: Callable[[Path], None], suffix: str, name: str = "") -> Path:
        """The file written for ``key`` by ``write(path)``; written the first time only. ``name`` (safe
        characters only) ends the file name, for downloads."""
        with self._lock:
            if key in self._files:
                self._files.move_to_end(key)
                return self._files[key][0]
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{uuid.uuid4().hex[:12]}{name}.{suffix}"
        partial = path.with_name(path.name + ".partial")
        try:
            write(partial)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        with self._lock:
            if key in self._files:  # a concurrent request wrote it first
                path.unlink(missing_ok=True)
            else:
                self._files[key] = (path, path.stat().st_size)
                self.bytes += self._files[key][1]
                while len(self._files) > MAX_FILES_PER_SESSION:
                    self._forget(next(iter(self._files)))
            return self._files[key][0]

    def forget_all_but(self, keep: Callable[[Hashable], bool]) -> None:
        """Delete every file whose key ``keep`` rejects (a new run makes the old overlays useless)."""
        with self._lock:
            for key in [key for key in self._files if not keep(key)]:
                self._forget(key)

    def delete(self) -> None:
        """Delete the folder and everything in it."""
        with self._lock:
            self._files.clear()
            self.bytes = 0
            shutil.rmtree(self.folder, ignore_errors=True)

    def _forget(self, key: Hashable) -> None:
        path, size = self._files.pop(key)
        path.unlink(missing_ok=True)
        self.bytes -= size
