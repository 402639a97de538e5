"""The Score faithfulness handler: every shown map's deletion / insertion curves and RD@5%, computed in batched
masked forward passes (:func:`cam_methods.score_maps`), then shown in the captions, the table and the curves."""

from __future__ import annotations

from collections.abc import Callable

import gradio as gr

from cam_methods import score_maps

from . import faithfulness_panel, views
from .choices import check_display
from .errors import friendly_errors
from .fair_use import client_gone
from .handlers import visitor
from .tiles import tiles_of


@friendly_errors
def on_metrics(
    cmap: str,
    opacity: float,
    signed: bool,
    request: gr.Request,
    progress: gr.Progress = gr.Progress(),  # noqa: B008  (Gradio injects progress through this default)
) -> tuple:
    """Score every map's faithfulness (batched masked forward passes) and show the numbers in the captions,
    the table and the curves."""
    display = check_display(cmap, opacity, signed)
    session = visitor(request)
    with session.lock:
        run, tiles, stop = session.shown, tiles_of(session.explanation), session.stop
    if not tiles:
        raise ValueError(session.note or "run an explanation first, then score it")
    stop.clear()
    gone = client_gone()
    parts = list({id(tile.explanation): tile.explanation for tile in tiles}.values())  # one per CLIP prompt
    cancel = lambda: stop.is_set() or gone()  # noqa: E731
    for number, part in enumerate(parts):
        score_maps(part, progress=overall_progress(progress, number, len(parts)), cancel=cancel)
    with session.lock:
        if session.shown != run or not session.current(run):
            return gr.skip(), gr.skip(), gr.skip()
        tiles = tiles_of(session.explanation)
        return (
            views.gallery(session, tiles, display),
            faithfulness_panel.table_rows(tiles),
            faithfulness_panel.curves_figure(tiles),
        )


def overall_progress(progress: gr.Progress, number: int, count: int) -> Callable[[float, str], None]:
    """Progress of part ``number`` of ``count`` (one per CLIP prompt) as a fraction of the whole."""
    return lambda fraction, message: progress((number + fraction) / count, desc=message)
