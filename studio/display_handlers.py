"""The app's display event handlers: the Finer-CAM slider, colormap / opacity / raw, the compare pair and
the Download zip. None calls the model; each works on the visitor's shown run under the session's lock,
and answers nothing (``gr.skip()``) once a later Explain run has begun, so that a late display result never
replaces a newer run on the page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import gradio as gr
import torch

from . import views
from .choices import check_display, check_pair, parse_gamma
from .compare_panel import PANEL_OPEN_JS
from .errors import friendly_errors
from .handlers import visitor
from .session import STORE
from .tiles import tiles_of


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Run the enclosed torch operations on this thread alone, then restore its thread count.

    A slider move's tensors are small (the layer's K×h×w activations, a few 224×352 maps), so splitting them
    over OpenMP threads gains little, and on a busy 2-core machine (another visitor's run, the browser) every
    parallel region waits for a core: the whole move took 0.9 s instead of 0.1 s at load 9 (``on_gamma`` timed
    in a loop, 24 moves, with 2 threads and with 1). The count is per thread in OpenMP, so a run in another
    thread keeps its own; torch also remembers it for threads that start meanwhile, hence the restore."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@friendly_errors
def on_gamma(
    finer_gamma: float,
    cmap: str,
    opacity: float,
    signed: bool,
    first: str | None,
    second: str | None,
    request: gr.Request,
) -> tuple:
    """New Finer-CAM strength: only the Finer maps are recombined and redrawn (gallery and compare slider);
    no model call. γ is rounded to the slider's step, so a session draws at most one picture per step."""
    gamma, display = parse_gamma(finer_gamma), check_display(cmap, opacity, signed)
    first, second = check_pair(first, second)
    session = visitor(request)
    with session.lock, one_torch_thread():
        if not session.current(session.shown):
            return gr.skip(), gr.skip(), gr.skip()
        if session.explanation is None:
            return [], session.note, gr.skip()  # nothing to redraw; the note says why the maps are gone
        if session.explanation.finer_gamma != gamma:
            session.explanation = session.explanation.with_gamma(gamma)
        tiles = tiles_of(session.explanation)
        shown = {tile.key for tile in tiles if tile.gamma is not None}
        if first is None and second is None:  # the panel is closed (GAMMA_JS): an empty slider is the cheapest
            compared = None  # answer, since for a skip Gradio builds a new ImageSlider and its config each time
        elif shown & {first, second}:
            compared = views.compare_pair(session, tiles, first, second, display)
        else:
            compared = gr.skip()  # neither side changed: sending the pair again would only slow the slider down
        result = views.gallery(session, tiles, display), views.summary(session, tiles), compared
    STORE.settle()
    return result


GAMMA_JS = f"""(gamma, cmap, opacity, signed, first, second) => {{
  const open = {PANEL_OPEN_JS};
  return [gamma, cmap, opacity, signed, open ? first : null, open ? second : null]; }}"""
"""Browser side of a slider move: the compare pair goes with it only while its panel is open (the page
redraws the compare slider's pictures otherwise, ~70 ms of every move); while it is closed the handler empties
it (an empty slider costs nothing to send again), and opening the panel fills it."""


@friendly_errors
def on_display(cmap: str, opacity: float, signed: bool, first: str | None, second: str | None, request: gr.Request):
    """New colormap, opacity or raw/ReLU choice: redraw from the stored maps."""
    display, (first, second) = check_display(cmap, opacity, signed), check_pair(first, second)
    session = visitor(request)
    with session.lock:
        if not session.current(session.shown):
            return gr.skip(), gr.skip()
        tiles = tiles_of(session.explanation)
        result = views.gallery(session, tiles, display), views.compare_pair(session, tiles, first, second, display)
    STORE.settle()
    return result


@friendly_errors
def on_compare(first: str | None, second: str | None, cmap: str, opacity: float, signed: bool, request: gr.Request):
    """The two chosen maps on the before/after slider."""
    display, (first, second) = check_display(cmap, opacity, signed), check_pair(first, second)
    session = visitor(request)
    with session.lock:
        if not session.current(session.shown):
            return gr.skip()
        return views.compare_pair(session, tiles_of(session.explanation), first, second, display)


def reveal() -> dict:
    """Show a box that stays hidden until it has something (the validated image, the download)."""
    return gr.update(visible=True)


def unscored() -> tuple:
    """A new run's Faithfulness panel: empty, and hidden until "Score faithfulness" is pressed."""
    return [], None, gr.update(visible=False)


SAVE_FILE = """(file) => { if (!file || !file.url) return;
  const link = Object.assign(document.createElement('a'), {href: file.url, download: file.orig_name || ''});
  document.body.appendChild(link); link.click(); link.remove(); }"""
"""Browser side of the one-click Download: save the zip that ``on_download`` just wrote (a hidden File's
value), as a click on its link would, so the button needs no second click on a file box."""


@friendly_errors
def on_download(cmap: str, opacity: float, request: gr.Request) -> Any:
    """One zip of the shown run (the CLI's format)."""
    display = check_display(cmap, opacity, False)
    session = visitor(request)
    with session.lock:
        return views.export_zip(session, display)
