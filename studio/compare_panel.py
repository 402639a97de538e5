"""The "Compare two maps" panel: two maps on a before/after slider with their names on its sides, their signed
difference A − B (diverging colormap: red where the left map is higher, blue where the right one is), and
two numbers, Spearman's rank correlation ρ and the IoU of their top-15 % pixels (:mod:`cam_methods.comparison`).

The slider is filled by :func:`studio.display_handlers.on_compare` (and by Explain, the display options, opening
the panel, and the γ slider while the panel is open); whenever its pair changes while the panel is open,
:func:`on_pair` redraws the names, the difference and the numbers from the stored maps. No model call.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import gradio as gr
import numpy as np
from PIL import Image

from cam_methods.comparison import compare_maps
from cam_methods.render import DIVERGING_COLORMAP, colourise

from .choices import check_pair
from .errors import friendly_errors
from .files import png
from .handlers import visitor
from .tiles import Tile, tile_label, tiles_of

EMPTY = ("", "", None, "")  # left name, right name, difference, numbers
PANEL_OPEN_JS = "document.querySelector('#compare_slider')?.offsetParent != null"  # the panel is open and shown
PAIR_JS = f"(first, second) => {PANEL_OPEN_JS} ? [first, second] : [null, null]"
"""Browser side of a new compare pair: described only while the panel is open. A Finer slider move empties the
closed panel's slider, and describing the pair then (a difference picture and two rank statistics nobody sees) cost
the server work on every move; opening the panel fills the slider again, and that change describes it."""


def build(ui: SimpleNamespace) -> None:
    """The accordion: the two dropdowns, the names over the slider's sides, the slider, difference and numbers."""
    with gr.Accordion("Compare two maps", open=False, elem_id="compare_box") as ui.compare_box:
        with gr.Row():
            ui.first = gr.Dropdown([], label="Left", elem_id="compare_first", allow_custom_value=True)
            ui.second = gr.Dropdown([], label="Right", elem_id="compare_second", allow_custom_value=True)
        with gr.Row():
            ui.left_name = gr.Markdown(elem_id="compare_left_name")
            ui.right_name = gr.Markdown(elem_id="compare_right_name")
        ui.compare = gr.ImageSlider(label="Compare", elem_id="compare_slider")
        with gr.Row(elem_id="compare_difference_row"):  # stacked on a phone (canvas.css)
            ui.difference = gr.Image(
                label="Difference left − right (red: left higher, blue: right higher)",
                interactive=False,
                elem_id="compare_difference",
            )
            ui.compare_numbers = gr.Markdown(elem_id="compare_numbers")
    ui.compare.change(
        on_pair,
        [ui.first, ui.second],
        [ui.left_name, ui.right_name, ui.difference, ui.compare_numbers],
        js=PAIR_JS,
        show_progress="hidden",
        concurrency_id="display",
        api_visibility="private",
    )


@friendly_errors
def on_pair(first: str | None, second: str | None, request: gr.Request) -> tuple:
    """The names, the difference picture and the two numbers of the chosen pair (empty until both exist)."""
    first, second = check_pair(first, second)
    session = visitor(request)
    with session.lock:
        by_key = {tile.key: tile for tile in tiles_of(session.explanation)}
        if first not in by_key or second not in by_key:
            return EMPTY
        left, right = by_key[first], by_key[second]
        comparison = compare_maps(input_map(left), input_map(right))
        key = (session.shown, "difference", left.key, left.gamma, right.key, right.gamma)
        picture = png(lambda: Image.fromarray(colourise(comparison.difference, DIVERGING_COLORMAP, signed=True)))
        difference = str(session.files.path(key, picture, "png"))
    rho = "n/a (a map is constant)" if math.isnan(comparison.spearman) else f"{comparison.spearman:.3f}"
    numbers = (
        f"**Spearman ρ** = {rho} (rank agreement of all pixels, 1 = same order)\n\n"
        f"**Top-15 % IoU** = {comparison.top_iou:.3f} (overlap of the hottest pixels, 1 = same region)"
    )
    return f"◀ **{tile_label(left)}**", f"**{tile_label(right)}** ▶", difference, numbers


def input_map(tile: Tile) -> np.ndarray:
    """The tile's map in [0, 1], aligned with the model input (the grid both maps share)."""
    return tile.explanation.maps[tile.method_id]
