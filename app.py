"""CAM Studio's Gradio app: layout and event wiring only (the glue lives in ``studio/``).

Run ``python app.py``: it serves on 127.0.0.1:7860, or on GRADIO_SERVER_NAME / GRADIO_SERVER_PORT.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from model_zoo import DEFAULT_BACKBONE, load_backbone
from studio import (
    any_model,
    compare_panel,
    display_handlers,
    faithfulness_panel,
    handlers,
    layers_tab,
    learn,
    open_link,
    score_handler,
)
from studio.fair_use import admitted
from studio.files import serve_in_place
from studio.input_panel import SAME_VALUE_JS, input_column
from studio.legend import legend
from studio.limits import MAX_UPLOAD, QUEUE_SIZE
from studio.memory import limit_malloc_arenas
from studio.method_picker import PICKER_CSS
from studio.pacing import DisplayPacing
from studio.request_limit import RequestSizeLimit
from studio.results_panel import SHOW_RESULTS_JS, results_column
from studio.sanity_tab import sanity_tab
from studio.session_pictures import SessionPictures

CANVAS_CSS = Path(__file__).resolve().parent / "studio" / "canvas.css"
CACHE_SWEEP = (900, 3600)  # Gradio deletes cached uploads older than an hour, every 15 minutes
MODEL_CALLS = "model"  # every event that runs a model shares this concurrency group: one model call at a time
PRIVATE = {"api_visibility": "private"}


def evidence_panels(ui: SimpleNamespace) -> None:
    """The Faithfulness table and curves, the compare slider and the Download button."""
    with gr.Accordion("Faithfulness", open=True, visible=False, elem_id="faithfulness") as ui.faithfulness:
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
    most two queued per visitor (``admitted``)."""
    model = {"concurrency_id": MODEL_CALLS, "show_progress_on": [ui.status]}  # one progress line, no badges
    cleared = [ui.gallery, ui.summary, ui.table, ui.curves, ui.compare]
    image_outputs = [ui.preview, ui.top5, ui.target, *cleared]
    backbone_event = ui.backbone.change(
        **admitted(handlers.on_backbone),
        inputs=ui.backbone,
        outputs=[ui.layer, ui.target, ui.prompts, ui.compare_prompts],
        api_name="backbone",
        **model,
    )
    if any_model.allowed():
        ui.model_id.submit(any_model.on_model_id, ui.model_id, ui.backbone, api_name="model_id", **model)
    backbone_event.success(handlers.on_backbone_loaded, [ui.image, ui.backbone], image_outputs, **PRIVATE, **model)
    backbone_event.failure(handlers.on_backbone_refused, None, ui.backbone, queue=False, **PRIVATE)
    image_event = ui.image.change(
        **admitted(handlers.on_image),
        inputs=[ui.image, ui.backbone],
        outputs=image_outputs,
        api_name="predict",
        **model,
    )
    image_event.success(display_handlers.reveal, None, ui.preview, queue=False, **PRIVATE)
    run_inputs = [ui.image, ui.backbone, ui.methods, ui.target_id, ui.prompts, ui.compare_prompts, ui.layer, ui.gamma]
    run = {
        **admitted(handlers.on_run),
        "inputs": [*run_inputs, ui.refs, ui.cmap, ui.opacity, ui.signed],
        "outputs": [ui.gallery, ui.top5, ui.summary, ui.first, ui.second, ui.compare],
        **model,
    }
    run_event = ui.run.click(**run, api_name="explain")
    ui.run.click(None, js=SHOW_RESULTS_JS, queue=False, **PRIVATE)
    for trigger in (ui.layer.select, ui.refs.release):  # quick re-runs: the fast methods
        trigger(**run, **PRIVATE)
    ui.target.select(None, ui.target, ui.target_id, js=SAME_VALUE_JS, queue=False, **PRIVATE).then(**run, **PRIVATE)
    pick = {"show_progress_on": [ui.top5], **PRIVATE}  # not on the dropdown: see input_panel.target_copy
    ui.top5.select(handlers.on_top5_pick, None, [ui.target, ui.target_id], queue=False, **pick).then(**run, **PRIVATE)
    ui.earlier.click(handlers.on_earlier_layer, [ui.backbone, ui.layer], ui.layer, queue=False, **PRIVATE).then(
        **run, **PRIVATE
    )
    unscored = [ui.table, ui.curves, ui.faithfulness]  # the panel stays hidden until "Score faithfulness"
    run_event.success(
        lambda: ([], None, gr.Accordion(visible=False)), None, unscored, show_progress="hidden", **PRIVATE
    )
    score_event = ui.score.click(
        **admitted(score_handler.on_metrics),
        inputs=[ui.cmap, ui.opacity, ui.signed],
        outputs=[ui.gallery, ui.table, ui.curves],
        api_name="metrics",
        **model,
    )
    score_event.success(display_handlers.reveal, None, ui.faithfulness, queue=False, **PRIVATE)
    ui.stop.click(handlers.on_stop, None, None, cancels=[score_event], queue=False, **PRIVATE)


def wire_display(ui: SimpleNamespace) -> None:
    """Slider, display options, compare and download: no model call, so they never wait for one."""
    display = [ui.cmap, ui.opacity, ui.signed]
    ui.gamma.input(
        display_handlers.on_gamma,
        [ui.gamma, *display, ui.first, ui.second],
        [ui.gallery, ui.summary, ui.compare],
        js=display_handlers.GAMMA_JS,
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
    for event in (ui.first.input, ui.second.input, ui.compare_box.expand):
        event(
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


def wire_share_link(ui: SimpleNamespace, demo: gr.Blocks) -> None:
    """ "Copy share link" writes the view's URL; opening one sets the controls and explains (a model call)."""
    view = [ui.image, ui.backbone, ui.methods, ui.target_id, ui.layer, ui.gamma, *ui.prompt_boxes]
    share_event = ui.share.click(open_link.on_share, view, ui.share_url, concurrency_id="display", **PRIVATE)
    share_event.success(None, ui.share_url, ui.share_url, js=open_link.COPY_JS, queue=False, **PRIVATE)
    controls = [ui.backbone, ui.layer, ui.bases, ui.finer, ui.methods, ui.gamma, ui.target, *ui.prompt_boxes]
    maps = [ui.gallery, ui.top5, ui.summary, ui.first, ui.second, ui.compare]
    outputs = [ui.image, *controls, ui.preview, *maps]
    query = gr.Textbox(visible="hidden", elem_id="link_query")  # the URL's query, copied there by the browser
    demo.load(None, None, query, js=open_link.READ_QUERY_JS, queue=False, **PRIVATE)
    query.change(open_link.on_open, query, outputs, concurrency_id=MODEL_CALLS, show_progress_on=[ui.status], **PRIVATE)


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
        sanity_tab(ui, MODEL_CALLS)
        wire_model_calls(ui)
        wire_display(ui)
        wire_share_link(ui, demo)
        demo.unload(handlers.on_unload)
    return demo


def serve(**launch_options: Any) -> gr.Blocks:
    """Build, queue and launch; tests pass a port and ``prevent_thread_lock=True``.

    Every model-calling event is in the ``MODEL_CALLS`` group, limited to one at a time (a 2-vCPU Space); the
    display events (colormap, opacity, compare) have their own group and the Finer slider skips the queue.
    Request bodies other than uploads are capped before they are parsed (:mod:`studio.request_limit`), a
    session's display requests are paced (:mod:`studio.pacing`), and the pictures are handed out before Gradio's
    routing (:mod:`studio.session_pictures`; not with a login, whose check it would skip)."""
    serve_in_place()  # before build(): its folder is then the first static path Gradio checks (see serve_in_place)
    demo = build()
    pictures = [] if launch_options.get("auth") else [Middleware(SessionPictures)]
    demo.queue(default_concurrency_limit=1, max_size=QUEUE_SIZE).launch(
        show_error=True,
        css_paths=[CANVAS_CSS, PICKER_CSS],
        max_file_size=MAX_UPLOAD,
        ssr_mode=False,
        app_kwargs={"middleware": [*pictures, Middleware(RequestSizeLimit), Middleware(DisplayPacing)]},  # outer first
        **launch_options,
    )
    return demo


def main() -> None:
    limit_malloc_arenas()  # before Gradio starts its worker threads
    serve()


if __name__ == "__main__":
    main()
