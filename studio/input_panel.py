"""The input column of the Explain tab: the image (upload or example thumbnails), Explain and Stop, the backbone,
the method picker, the target (or CLIP's prompts), Score faithfulness and the share link."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from model_zoo import DEFAULT_BACKBONE, Backbone

from . import any_model
from .choices import TOP1, backbone_choices, target_choices
from .examples import example_strip, on_example
from .method_picker import method_picker

SAME_VALUE_JS = "(value) => value"  # a browser-only event: the value, unchanged, into another component
IMAGE_TYPES = [".png", ".jpg", ".jpeg", ".webp", ".gif", ".tif", ".tiff", ".bmp"]


def input_column(default: Backbone) -> SimpleNamespace:
    """The image, backbone, methods, target / prompts and the Explain, Stop, Score and share-link buttons."""
    ui = SimpleNamespace()
    ui.image = gr.File(
        label="Image (PNG, JPEG, WebP, GIF, TIFF, BMP)", file_types=IMAGE_TYPES, type="filepath", elem_id="image_input"
    )
    with gr.Row():
        ui.run = gr.Button("Explain", variant="primary", elem_id="run")
        ui.stop = gr.Button("Stop", variant="secondary", size="sm", elem_id="stop")
    ui.preview = gr.Image(label="Validated image", interactive=False, height=240, visible=False, elem_id="preview")
    ui.examples = example_strip()
    ui.examples.select(on_example, None, ui.image, queue=False, api_visibility="private")
    ui.backbone = gr.Dropdown(backbone_choices(), value=DEFAULT_BACKBONE, label="Backbone", elem_id="backbone")
    ui.model_id = any_model.model_id_box()
    picker = method_picker()
    ui.preset, ui.bases, ui.finer, ui.methods = picker.preset, picker.bases, picker.finer, picker.methods
    ui.target = gr.Dropdown(
        target_choices(default, []),
        value=TOP1,
        label="Target class (type to search)",
        filterable=True,
        allow_custom_value=True,
        elem_id="target",
    )
    ui.target_id = target_copy(ui.target)
    ui.prompts = gr.Textbox(label="Prompts (separate several with ;)", visible=False, elem_id="prompts")
    ui.compare_prompts = gr.Textbox(
        label="Compare against (Finer-CAM references, separate with ;)", visible=False, elem_id="compare_prompts"
    )
    ui.prompt_boxes = (ui.prompts, ui.compare_prompts)
    ui.score = gr.Button("Score faithfulness", elem_id="score")  # about 50 forward passes per map
    ui.share = gr.Button("Copy share link", size="sm", elem_id="share")
    ui.share_url = gr.Textbox(label="Share link", visible=False, buttons=["copy"], elem_id="share_url")
    return ui


def target_copy(target: gr.Dropdown) -> gr.Textbox:
    """A hidden copy of the target dropdown's value, kept by a browser-only event: the model events read it
    instead of the dropdown. Gradio's page snapshots every input of an event it has run on each later event
    (its loading status), and the dropdown's 1,000 ImageNet classes cost ~30 ms of every Finer slider move
    (benchmarks/browser.py); the copy holds one short string."""
    copy = gr.Textbox(value=TOP1, visible="hidden", label="Target class", elem_id="target_id")
    target.change(None, target, copy, js=SAME_VALUE_JS, queue=False, api_visibility="private")
    return copy
