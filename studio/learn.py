"""The Learn tab as a lesson: what each method computes (from the registry), a map taken apart channel by
channel, the HiResCAM toy, a map following its target, and how to read a heatmap.

The tab computes nothing until a visitor opens it. Its model calls (the bundled example's anatomy at a new
layer, the two-object demonstration) run in the app's one-model-call-at-a-time group, within each visitor's
queue share (:func:`~studio.fair_use.admitted`), and are cached, so on a 2-vCPU Space they happen once per layer for
all visitors; a visitor's own anatomy reuses their Explain capture.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import gradio as gr
from gradio.context import Context

from model_zoo import DEFAULT_BACKBONE, load_backbone

from . import learn_examples, learn_text, method_notes, toy
from .errors import friendly_errors
from .fair_use import admitted
from .session import STORE

MODEL_CALLS = "model"  # app.MODEL_CALLS: every event that runs a model shares it, one call at a time
PRIVATE = {"api_visibility": "private"}
NOT_READY = "The two-object demonstration is still being computed; please try again in a moment."


@friendly_errors
def on_layer(layer: str, request: gr.Request | None = None) -> learn_examples.Figures:
    """The bundled example's anatomy at ``layer`` (a ValueError names the layers of the bundled backbone).
    ``request`` identifies the visitor to :func:`~studio.fair_use.admitted`, the validator of the model events."""
    layers = load_backbone(DEFAULT_BACKBONE).layers
    if layer not in layers:
        raise ValueError(f"choose one of the bundled model's layers ({', '.join(layers)}), not {layer!r}")
    return learn_examples.example_anatomy(layer)


@friendly_errors
def on_own(request: gr.Request | None = None) -> learn_examples.Figures:
    """The anatomy of this visitor's latest Explain results, from the A and G their run captured."""
    session = STORE.get(getattr(request, "session_hash", None))
    with session.lock:
        explanation = session.explanation
    return learn_examples.own_anatomy(explanation)


@friendly_errors
def on_open(layer: str, opened: bool, request: gr.Request | None = None) -> tuple[Any, ...]:
    """On the tab's first opening in a page: the example's anatomy and the two-object demonstration (later
    openings keep what the visitor chose); ``request`` as for :func:`on_layer`."""
    if opened:
        return (gr.skip(),) * 7 + (True,)
    overlays = learn_examples.switch_targets()
    first = next(iter(overlays))
    return (*on_layer(layer), gr.Radio(choices=list(overlays), value=first), overlays[first], True)


@friendly_errors
def on_switch(choice: str) -> Any:
    """The precomputed Grad-CAM overlay of the chosen class (no model call)."""
    if learn_examples.switch_targets.cache_info().currsize == 0:
        raise ValueError(NOT_READY)
    overlays = learn_examples.switch_targets()
    if choice not in overlays:
        raise ValueError(f"choose one of the top-5 classes ({', '.join(overlays)})")
    return overlays[choice]


@friendly_errors
def on_region(zero_region: str) -> tuple[list, str]:
    """The toy's panels and sentence for the chosen zero-weight region (a tiny model, computed once per choice)."""
    return list(toy.demonstration(zero_region)), toy.explanation(zero_region)


def anatomy_section(ui: SimpleNamespace) -> None:
    """The layer menu, the "my results" button, the caption and the two anatomy figures."""
    gr.Markdown(learn_text.ANATOMY)
    with gr.Row(equal_height=True):
        layers = list(load_backbone(DEFAULT_BACKBONE).layers)
        ui.layer = gr.Dropdown(
            layers,
            value=learn_examples.EXAMPLE_LAYER,
            label="Layer (bundled model and cat photo)",
            elem_id="anatomy_layer",
        )
        ui.own = gr.Button("Take apart my Explain results instead", elem_id="anatomy_own")
    ui.caption = gr.Markdown(elem_id="anatomy_caption")
    figure = {"interactive": False, "format": "png"}  # text and thin lines: no lossy WebP
    for name, label in (("weights", "Grad-CAM's channel weights α_k"), ("sums", "Each map as a sum of channel terms")):
        wide = gr.Image(label=label, elem_id=f"anatomy_{name}", elem_classes=["wide-only"], **figure)
        narrow = gr.Image(label=label, elem_id=f"anatomy_{name}_narrow", elem_classes=["phone-only"], **figure)
        setattr(ui, name, (wide, narrow))  # drawn twice; canvas.css shows the narrow one on a phone


def toy_section(ui: SimpleNamespace) -> None:
    """The zero-weight region choice, the toy's four panels and its sentence."""
    gr.Markdown(learn_text.TOY)
    ui.region = gr.Radio(
        list(toy.ZERO_REGIONS), value=toy.DEFAULT_REGION, label="Where the class weight W is zero", elem_id="toy_region"
    )
    ui.toy = gr.Gallery(list(toy.demonstration()), label="The toy", columns=4, height="auto", elem_id="hirescam_demo")
    ui.why = gr.Markdown(toy.explanation(), elem_id="toy_why")


def switch_section(ui: SimpleNamespace) -> None:
    """The top-5 classes of the two-object image and Grad-CAM for the chosen one."""
    gr.Markdown(learn_text.SWITCH)
    with gr.Row():
        ui.target = gr.Radio([], label="Target class (the model's top 5)", elem_id="switch_target")
        ui.switched = gr.Image(label="Grad-CAM for this class", interactive=False, height=320, elem_id="switch_map")


def opening_trigger() -> Any:
    """The enclosing tab's select event (nothing is computed for visitors who never open the tab), or the page's
    load event when the tab is built outside a ``gr.Tab``."""
    block = Context.block
    return block.select if isinstance(block, gr.Tab) else Context.root_block.load


def learn_tab() -> None:
    """The tab's components and events; call it inside ``with gr.Tab("Learn")``."""
    ui = SimpleNamespace(opened=gr.State(False))
    opening = opening_trigger()
    gr.Markdown(learn_text.INTRO)
    with gr.Accordion("Every method: what it does, its formula with each symbol, its paper", open=False):
        gr.Markdown(method_notes.methods_markdown(), elem_id="methods_table")
    anatomy_section(ui)
    toy_section(ui)
    switch_section(ui)
    gr.Markdown(learn_text.READING, elem_id="reading_note")
    anatomy = [*ui.weights, *ui.sums, ui.caption]
    model = {"concurrency_id": MODEL_CALLS, "show_progress_on": [ui.caption], **PRIVATE}
    outputs = [*anatomy, ui.target, ui.switched, ui.opened]
    opening(**admitted(on_open), inputs=[ui.layer, ui.opened], outputs=outputs, **model)
    ui.layer.input(**admitted(on_layer), inputs=ui.layer, outputs=anatomy, **model)
    ui.own.click(on_own, None, anatomy, concurrency_id="learn", **PRIVATE)
    ui.target.input(on_switch, ui.target, ui.switched, queue=False, **PRIVATE)
    ui.region.input(on_region, ui.region, [ui.toy, ui.why], queue=False, **PRIVATE)
