"""The results column of the Explain tab: the top-5, the one status line, the comparison grid and its colour
bar, the summary, the Finer-CAM controls and the advanced display options."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from cam_methods.finer import DEFAULT_GAMMA, DEFAULT_REFERENCES
from cam_methods.render import COLORMAPS
from model_zoo import Backbone

from .choices import DEFAULT_DISPLAY, MAX_GAMMA
from .legend import legend
from .limits import GAMMA_STEP

SHOW_RESULTS_JS = """() => { if (window.innerWidth < 768)
  document.getElementById('status')?.scrollIntoView({block: 'start'}); }"""
"""Browser side of Explain on a narrow screen: the results column sits under the inputs, so scroll its status line
(then the maps) into view instead of leaving the run out of sight."""


def results_column(ui: SimpleNamespace, default: Backbone) -> None:
    """The top-5, the gallery and summary, the Finer-CAM controls and the advanced display options."""
    cmap, opacity, signed = DEFAULT_DISPLAY
    ui.top5 = gr.Label(num_top_classes=5, label="Top-5 predictions", elem_id="top5")
    ui.status = gr.Markdown(elem_id="status")
    ui.gallery = gr.Gallery(label="Explanations", columns=4, height="auto", object_fit="contain", elem_id="gallery")
    ui.legend = gr.HTML(legend(cmap, signed), elem_id="legend")
    ui.summary = gr.Markdown(elem_id="summary")
    ui.earlier = gr.Button("Show at an earlier layer", size="sm", elem_id="earlier")
    ui.gamma = gr.Slider(
        0,
        MAX_GAMMA,
        value=DEFAULT_GAMMA,
        step=GAMMA_STEP,
        label="Finer-CAM comparison strength γ",
        elem_id="finer_gamma",
    )
    ui.refs = gr.Slider(
        1, 10, value=DEFAULT_REFERENCES, step=1, label="Finer-CAM reference classes", elem_id="finer_refs"
    )
    with gr.Accordion("Advanced", open=False):
        ui.layer = gr.Dropdown(
            list(default.layers), value=default.default_layer, label="Layer", elem_id="layer", allow_custom_value=True
        )
        ui.cmap = gr.Dropdown(list(COLORMAPS), value=cmap, label="Colormap", elem_id="cmap")
        ui.opacity = gr.Slider(0, 1, value=opacity, step=0.05, label="Overlay opacity", elem_id="opacity")
        ui.signed = gr.Checkbox(signed, label="Raw map (no ReLU, diverging colormap)", elem_id="signed")
