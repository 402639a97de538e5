"""CAM Studio's Gradio app: layout and event wiring only (the glue lives in ``studio/``).

Run ``python app.py``: it serves on 127.0.0.1:7860, or on GRADIO_SERVER_NAME / GRADIO_SERVER_PORT.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from cam_methods.finer import DEFAULT_GAMMA, DEFAULT_REFERENCES
from cam_methods.render import COLORMAPS
from model_zoo import DEFAULT_BACKBONE, Backbone, load_backbone
from studio import any_model, compare_panel, display_handlers, faithfulness_panel, handlers, layers_tab, learn
from studio.choices import MAX_GAMMA, PRESETS, TOP1, backbone_choices, default_methods, method_choices, target_choices
from studio.fair_use import admit
from studio.legend import legend
from studio.limits import GAMMA_STEP, MAX_UPLOAD, QUEUE_SIZE
from studio.memory import limit_malloc_arenas
from studio.pacing import DisplayPacing
from studio.request_limit import RequestSizeLimit

ASSETS = Path(__file__).resolve().parent / "assets"
EXAMPLES = [str(ASSETS / n) for n in ("chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg", "grace_hopper.jpg")]
CACHE_SWEEP = (900, 3600)  # Gradio deletes cached uploads older than an hour, every 15 minutes
MODEL_CALLS = "model"  # every event that runs a model shares this concurrency group: one model call at a time
IMAGE_TYPES = [".png", ".jpg", ".jpeg", ".webp", ".gif", ".tif", ".tiff", ".bmp"]
PRIVATE = {"api_visibility": "private"}


def input_column(default: Backbone) -> SimpleNamespace:
    """The image, backbone, methods, target / prompts and the Explain, Stop and Score buttons."""
    ui = SimpleNamespace()
    ui.image = gr.File(
        label="Image (PNG, JPEG, WebP, GIF, TIFF, BMP)", file_types=IMAGE_TYPES, type="filepath", elem_id="image_input"
    )
    with gr.Row():
        ui.run = gr.Button("Explain", variant="primary", elem_id="run")
        ui.stop = gr.Button("Stop", variant="secondary", size="sm", elem_id="stop")
    ui.preview = gr.Image(label="Validated image", interactive=False, height=240, visible=False, elem_id="preview")
    gr.Examples(EXAMPLES, inputs=ui.image, label="Examples", elem_id="examples")
    ui.backbone = gr.Dropdown(backbone_choices(), value=DEFAULT_BACKBONE, label="Backbone", elem_id="backbone")
    ui.preset = gr.Radio(list(PRESETS), label="Method presets", elem_id="presets")
    ui.model_id = any_model.model_id_box()
    ui.methods = gr.CheckboxGroup(method_choices(), value=default_methods(), label="Methods", elem_id="methods")
    ui.preset.input(PRESETS.get, ui.preset, ui.methods, queue=False, api_visibility="private")
    ui.target = gr.Dropdown(
        target_choices(default, []),
        value=TOP1,
        label="Target class (type to search)",
        filterable=True,
        allow_custom_value=True,
        elem_id="target",
    )
    ui.prompts = gr.Textbox(label="Prompts (separate several with ;)", visible=False, elem_id="prompts")
    ui.compare_prompts = gr.Textbox(
        label="Compare against (Finer-CAM references, separate with ;)", visible=False, elem_id="compare_prompts"
    )
    ui.score = gr.Button("Score faithfulness", elem_id="score")  # about 50 forward passes per map
    return ui


def results_column(ui: SimpleNamespace, default: Backbone) -> None:
    """The top-5, the gallery and summary, the Finer-CAM controls and the advanced display options."""
    ui.top5 = gr.Label(num_top_classes=5, label="Top-5 predictions", elem_id="top5")
    ui.status = gr.Markdown(elem_id="status")
    ui.gallery = gr.Gallery(label="Explanations", columns=4, height="auto", object_fit="contain", elem_id="gallery")
    ui.legend = gr.HTML(legend("jet", False), elem_id="legend")
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
        ui.cmap = gr.Dropdown(list(COLORMAPS), value="jet", label="Colormap", elem_id="cmap")
        ui.opacity = gr.Slider(0, 1, value=0.5, step=0.05, label="Overlay opacity", elem_id="opacity")
        ui.signed = gr.Checkbox(False, label="Raw map (no ReLU, diverging colormap)", elem_id="signed")


def evidence_panels(ui: SimpleNamespace) -> None:
    """The Faithfulness table and curves, the compare slider and the Download button."""
    with gr.Accordion("Faithfulness", open=True):
        ui.table = gr.Dataframe(
            headers=faithfulness_panel.HEADERS,
            label="Scored maps (press “Score faithfulness”)",
            interactive=False,
            elem_id="faithfulness_table",
        )
        ui.curves = gr.Plot(label="Deletion and insertion curves", elem_id="faithfulness_curves")
    compare_panel.build(ui)
    ui.download = gr.Button("Download zip (overlays, maps, input, grid PNG/PDF, scores, manifest)", elem_id="download")
    ui.download_file = gr.File(label="Download", visible=False, elem_id="download_file")


def wire_model_calls(ui: SimpleNamespace) -> None:
    """Backbone, image, Explain, Score and Stop: the events that run a model, one at a time for everyone and at
    most two queued per visitor (``admit``)."""
    model = {"concurrency_id": MODEL_CALLS, "show_progress_on": [ui.status]}  # one progress line, no badges
    cleared = [ui.gallery, ui.summary, ui.table, ui.curves, ui.compare]
    image_outputs = [ui.preview, ui.top5, ui.target, *cleared]
    backbone_event = ui.backbone.change(
        handlers.on_backbone,
        ui.backbone,
        [ui.layer, ui.target, ui.prompts, ui.compare_prompts],
        api_name="backbone",
        validator=admit(handlers.on_backbone),
        **model,
    )
    if any_model.allowed():
        ui.model_id.submit(any_model.on_model_id, ui.model_id, ui.backbone, api_name="model_id", **model)
    backbone_event.success(handlers.on_backbone_loaded, [ui.image, ui.backbone], image_outputs, **PRIVATE, **model)
    backbone_event.failure(handlers.on_backbone_refused, None, ui.backbone, queue=False, **PRIVATE)
    image_event = ui.image.change(
        handlers.on_image,
        [ui.image, ui.backbone],
        image_outputs,
        api_name="predict",
        validator=admit(handlers.on_image),
        **model,
    )
    image_event.success(display_handlers.reveal, None, ui.preview, queue=False, **PRIVATE)
    run_inputs = [ui.image, ui.backbone, ui.methods, ui.target, ui.prompts, ui.compare_prompts, ui.layer, ui.gamma]
    run = {
        "fn": handlers.on_run,
        "inputs": [*run_inputs, ui.refs, ui.cmap, ui.opacity, ui.signed],
        "outputs": [ui.gallery, ui.top5, ui.summary, ui.first, ui.second, ui.compare],
        "validator": admit(handlers.on_run),
        **model,
    }
    run_event = ui.run.click(**run, api_name="explain")
    for trigger in (ui.target.select, ui.layer.select, ui.refs.release):  # quick re-runs: the fast methods
        trigger(**run, **PRIVATE)
    ui.top5.select(handlers.on_top5_pick, None, ui.target, queue=False, **PRIVATE).then(**run, **PRIVATE)
    ui.earlier.click(handlers.on_earlier_layer, [ui.backbone, ui.layer], ui.layer, queue=False, **PRIVATE).then(
        **run, **PRIVATE
    )
    run_event.success(lambda: ([], None), None, [ui.table, ui.curves], show_progress="hidden", **PRIVATE)
    score_event = ui.score.click(
        handlers.on_metrics,
        [ui.cmap, ui.opacity, ui.signed],
        [ui.gallery, ui.table, ui.curves],
        api_name="metrics",
        validator=admit(handlers.on_metrics),
        **model,
    )
    ui.stop.click(handlers.on_stop, None, None, cancels=[score_event], queue=False, **PRIVATE)


def wire_display(ui: SimpleNamespace) -> None:
    """Slider, display options, compare and download: no model call, so they never wait for one."""
    display = [ui.cmap, ui.opacity, ui.signed]
    ui.gamma.input(
        display_handlers.on_gamma,
        [ui.gamma, *display, ui.first, ui.second],
        [ui.gallery, ui.summary, ui.compare],
        trigger_mode="always_last",
        show_progress="hidden",
        queue=False,
        api_name="finer_gamma",
    )
    for control in (ui.cmap, ui.signed):
        control.change(legend, [ui.cmap, ui.signed], ui.legend, queue=False, **PRIVATE)
    for control in display:
        control.change(
            display_handlers.on_display,
            [*display, ui.first, ui.second],
            [ui.gallery, ui.compare],
            show_progress="hidden",
            concurrency_id="display",
            api_visibility="private",
        )
    for control in (ui.first, ui.second):
        control.input(
            display_handlers.on_compare,
            [ui.first, ui.second, *display],
            ui.compare,
            concurrency_id="display",
            api_visibility="private",
        )
    download_event = ui.download.click(
        display_handlers.on_download, [ui.cmap, ui.opacity], ui.download_file, api_name="download"
    )
    download_event.success(None, ui.download_file, None, js=display_handlers.SAVE_FILE, queue=False, **PRIVATE)


def build() -> gr.Blocks:
    """The whole app as a Blocks object (tests launch it in-process)."""
    default = load_backbone(DEFAULT_BACKBONE)
    with gr.Blocks(title="CAM Studio", delete_cache=CACHE_SWEEP) as demo:
        gr.Markdown("# CAM Studio\nCompare class-activation-map explanations side by side.")
        with gr.Tab("Explain"), gr.Row():
            with gr.Column(scale=1):
                ui = input_column(default)
            with gr.Column(scale=2):
                results_column(ui, default)
                evidence_panels(ui)
        layers_tab.build(ui, MODEL_CALLS)
        with gr.Tab("Learn"):
            learn.learn_tab()
        wire_model_calls(ui)
        wire_display(ui)
        demo.unload(handlers.on_unload)
    return demo


def serve(**launch_options: Any) -> gr.Blocks:
    """Build, queue and launch; tests pass a port and ``prevent_thread_lock=True``.

    Every model-calling event is in the ``MODEL_CALLS`` group, limited to one at a time (a 2-vCPU Space); the
    display events (colormap, opacity, compare) have their own group and the Finer slider skips the queue.
    Request bodies other than uploads are capped before they are parsed (:mod:`studio.request_limit`), and a
    session's display requests are paced (:mod:`studio.pacing`)."""
    demo = build()
    demo.queue(default_concurrency_limit=1, max_size=QUEUE_SIZE).launch(
        show_error=True,
        css_paths=[ASSETS.parent / "studio" / "canvas.css"],
        max_file_size=MAX_UPLOAD,
        ssr_mode=False,
        app_kwargs={"middleware": [Middleware(RequestSizeLimit), Middleware(DisplayPacing)]},  # outer first
        **launch_options,
    )
    return demo


def main() -> None:
    limit_malloc_arenas()  # before Gradio starts its worker threads
    serve()


if __name__ == "__main__":
    main()
