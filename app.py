"""CAM Studio's Gradio app: layout and event wiring only (the glue lives in ``studio/``).

Run ``python app.py``: it serves on 127.0.0.1:7860, or on GRADIO_SERVER_NAME / GRADIO_SERVER_PORT.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from cam_methods.finer import DEFAULT_ALPHA, DEFAULT_REFERENCES
from cam_methods.render import COLORMAPS
from model_zoo import DEFAULT_BACKBONE, load_backbone
from studio import faithfulness_panel, handlers, toy, views
from studio.choices import TOP1, backbone_choices, default_methods, method_choices, target_choices

ASSETS = Path(__file__).resolve().parent / "assets"
EXAMPLES = [
    str(ASSETS / name) for name in ("chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg", "grace_hopper.jpg")
]
SESSION_SECONDS = 3600
CACHE_SWEEP_SECONDS = 900
QUEUE_SIZE = 32
MODEL_CALLS = "model"  # every event that runs a model shares this concurrency group: one model call at a time
MAX_UPLOAD = "20mb"
IMAGE_TYPES = [".png", ".jpg", ".jpeg", ".webp", ".gif", ".tif", ".tiff", ".bmp"]


def build() -> gr.Blocks:
    """The whole app as a Blocks object (tests launch it in-process)."""
    default = load_backbone(DEFAULT_BACKBONE)
    with gr.Blocks(title="CAM Studio", delete_cache=(CACHE_SWEEP_SECONDS, SESSION_SECONDS)) as demo:
        session = gr.State(None, time_to_live=SESSION_SECONDS, delete_callback=handlers.discard_session)
        gr.Markdown("# CAM Studio\nCompare class-activation-map explanations side by side.")
        with gr.Tab("Explain"), gr.Row():
            with gr.Column(scale=1):
                image = gr.File(
                    label="Image (PNG, JPEG, WebP, GIF, TIFF, BMP)",
                    file_types=IMAGE_TYPES,
                    type="filepath",
                    elem_id="image_input",
                )
                preview = gr.Image(label="Validated image", interactive=False, height=240, elem_id="preview")
                gr.Examples(EXAMPLES, inputs=image, label="Examples", elem_id="examples")
                backbone = gr.Dropdown(backbone_choices(), value=DEFAULT_BACKBONE, label="Backbone", elem_id="backbone")
                methods = gr.CheckboxGroup(
                    method_choices(), value=default_methods(), label="Methods", elem_id="methods"
                )
                target = gr.Dropdown(
                    target_choices(default, []),
                    value=TOP1,
                    label="Target class (type to search)",
                    filterable=True,
                    allow_custom_value=True,
                    elem_id="target",
                )
                prompts = gr.Textbox(label="Prompts (separate several with ;)", visible=False, elem_id="prompts")
                compare_prompts = gr.Textbox(
                    label="Compare against (Finer-CAM references, separate with ;)",
                    visible=False,
                    elem_id="compare_prompts",
                )
                with gr.Row():
                    run = gr.Button("Explain", variant="primary", elem_id="run")
                    stop = gr.Button("Stop", variant="stop", elem_id="stop")
                score = gr.Button(
                    "Score faithfulness (deletion / insertion AUC, RD@5%: about 50 forward passes per map)",
                    elem_id="score",
                )
            with gr.Column(scale=2):
                top5 = gr.Label(num_top_classes=5, label="Top-5 predictions", elem_id="top5")
                gallery = gr.Gallery(
                    label="Explanations",
                    columns=views.MAX_COLUMNS,
                    height="auto",
                    object_fit="contain",
                    elem_id="gallery",
                )
                summary = gr.Markdown(elem_id="summary")
                alpha = gr.Slider(
                    0,
                    2,
                    value=DEFAULT_ALPHA,
                    step=0.05,
                    label="Finer-CAM comparison strength γ",
                    elem_id="finer_alpha",
                )
                refs = gr.Slider(
                    1,
                    10,
                    value=DEFAULT_REFERENCES,
                    step=1,
                    label="Finer-CAM reference classes",
                    elem_id="finer_refs",
                )
                with gr.Accordion("Advanced", open=False):
                    layer = gr.Dropdown(
                        list(default.layers),
                        value=default.default_layer,
                        label="Layer",
                        elem_id="layer",
                        allow_custom_value=True,
                    )
                    cmap = gr.Dropdown(list(COLORMAPS), value="jet", label="Colormap", elem_id="cmap")
                    opacity = gr.Slider(0, 1, value=0.5, step=0.05, label="Overlay opacity", elem_id="opacity")
                    signed = gr.Checkbox(False, label="Raw map (no ReLU, diverging colormap)", elem_id="signed")
                with gr.Accordion("Faithfulness", open=True):
                    table = gr.Dataframe(
                        headers=faithfulness_panel.HEADERS,
                        label="Scored maps (press “Score faithfulness”)",
                        interactive=False,
                        elem_id="faithfulness_table",
                    )
                    curves = gr.Plot(label="Deletion and insertion curves", elem_id="faithfulness_curves")
                with gr.Accordion("Compare two maps", open=False):
                    with gr.Row():
                        first = gr.Dropdown([], label="Left", elem_id="compare_first", allow_custom_value=True)
                        second = gr.Dropdown([], label="Right", elem_id="compare_second", allow_custom_value=True)
                    compare = gr.ImageSlider(label="Compare", elem_id="compare_slider")
                download = gr.Button("Download zip (overlays, maps.npz, manifest.json)", elem_id="download")
                download_file = gr.File(label="Download", elem_id="download_file")
        with gr.Tab("Learn"):
            gr.Markdown(views.methods_table(), elem_id="methods_table")
            gr.Markdown("### Why HiResCAM? A flatten + linear model")
            gr.Gallery(toy.demonstration(), columns=3, height="auto", elem_id="hirescam_demo")
            gr.Markdown(toy.EXPLANATION)

        display = [cmap, opacity, signed]
        stale = [session, gallery, summary, table, curves, compare]  # what a new image or backbone invalidates

        def show_image(trigger: Any, **api: Any) -> None:
            """Validate and preview the image with the current backbone's top-5, then clear stale results."""
            trigger(
                handlers.on_image, [image, backbone], [preview, top5, target], concurrency_id=MODEL_CALLS, **api
            ).success(handlers.on_new_input, session, stale, show_progress="hidden", api_visibility="private")

        backbone_event = backbone.change(
            handlers.on_backbone,
            backbone,
            [layer, target, prompts, compare_prompts],
            api_name="backbone",
            concurrency_id=MODEL_CALLS,
        )
        show_image(backbone_event.success, api_visibility="private")
        show_image(image.change, api_name="predict")
        run_event = run.click(
            handlers.on_run,
            [session, image, backbone, methods, target, prompts, compare_prompts, layer, alpha, refs, *display],
            [session, gallery, top5, summary, first, second, compare],
            api_name="explain",
            concurrency_id=MODEL_CALLS,
        )
        run_event.success(
            handlers.on_new_run, session, [gallery, table, curves], show_progress="hidden", api_visibility="private"
        )
        score_event = score.click(
            handlers.on_metrics,
            [session, *display],
            [session, gallery, table, curves],
            api_name="metrics",
            concurrency_id=MODEL_CALLS,
        )
        stop.click(
            handlers.on_stop, None, None, cancels=[run_event, score_event], queue=False, api_visibility="private"
        )
        alpha.input(
            handlers.on_alpha,
            [session, alpha, *display, first, second],
            [gallery, summary, compare],
            trigger_mode="always_last",
            show_progress="hidden",
            queue=False,
            api_name="finer_alpha",
        )
        for control in display:
            control.change(
                handlers.on_display,
                [session, *display, first, second],
                [gallery, compare],
                show_progress="hidden",
                concurrency_id="display",
                api_visibility="private",
            )
        for control in (first, second):
            control.input(
                handlers.on_compare,
                [session, first, second, *display],
                compare,
                concurrency_id="display",
                api_visibility="private",
            )
        download.click(handlers.on_download, [session, cmap, opacity], download_file, api_name="download")
        demo.unload(handlers.on_unload)
    return demo


def serve(**launch_options: Any) -> gr.Blocks:
    """Build, queue and launch; tests pass a port and ``prevent_thread_lock=True``.

    Every model-calling event is in the ``MODEL_CALLS`` group, limited to one at a time (a 2-vCPU Space); the
    display events (colormap, opacity, compare) have their own group and the Finer slider skips the queue."""
    demo = build()
    demo.queue(default_concurrency_limit=1, max_size=QUEUE_SIZE).launch(
        show_error=True, max_file_size=MAX_UPLOAD, ssr_mode=False, **launch_options
    )
    return demo


def main() -> None:
    serve()


if __name__ == "__main__":
    main()
