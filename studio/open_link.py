"""The two ends of a share link on the page: "Copy share link" (the URL of the view on the page) and opening
one (the controls set as the link says, then one Explain run).

Opening is two steps so that an ordinary page load costs the model queue nothing: the page's load event
copies the URL's query into a hidden box in the browser (:data:`READ_QUERY_JS`), and only a query that is
not empty changes that box, whose change event (a model call, queued like Explain) is :func:`on_open`.

Opening sets the image and backbone from the server, which fires their change events; the session notes
the image and backbone it set (:meth:`~studio.session.Session.expect_echo`) so that their change events, the
echoes, do not start over (clear the maps, reset the layer, target and prompts) after the link set them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs

import gradio as gr
from gradio.processing_utils import save_file_to_cache
from gradio.utils import get_upload_folder

from cam_methods.finer import DEFAULT_GAMMA, DEFAULT_REFERENCES
from model_zoo import DEFAULT_BACKBONE, Backbone

from . import handlers
from .any_model import load_backbone
from .choices import DEFAULT_DISPLAY, target_choices
from .errors import EXPECTED_ERRORS, friendly_errors, sentence
from .examples import EXAMPLES
from .share_link import View, fit_to, link_query, read_link

OUTPUTS = 17  # the image, the controls (9), the preview, then on_run's six: gallery, top-5, summary, compare ×3

READ_QUERY_JS = "() => window.location.search"

COPY_JS = """(query) => { if (!query || !query.startsWith('?')) return query;
  const url = window.location.origin + window.location.pathname + query;
  if (navigator.clipboard) navigator.clipboard.writeText(url).catch(() => {});
  return url; }"""
"""Browser side of "Copy share link": the page's own address (a Space's too) before the query, to the clipboard."""


@friendly_errors
def on_share(*view: Any) -> gr.Textbox:
    """The query of the view on the page, given as :func:`~studio.share_link.link_query`'s arguments (the image,
    backbone, methods, target, layer, γ and the prompt boxes); :data:`COPY_JS` makes it a URL. Says so when the
    image cannot go."""
    query, note = link_query(*view)
    if note:
        gr.Info(note)
    return gr.Textbox(value=query, visible=True)


@friendly_errors
def on_open(query: str, request: gr.Request, progress: gr.Progress = gr.Progress()) -> tuple:  # noqa: B008
    """The page was opened with ``query`` (``"?example=…"``): when it is a share link, set the controls as it
    says and, for an example, Explain; each parameter that does not fit is ignored with one sentence (a toast)."""
    view = read_link({key: values[-1] for key, values in parse_qs(str(query or "").lstrip("?")).items()})
    if view is None:
        return tuple(gr.skip() for _ in range(OUTPUTS))
    view, backbone = loaded(view)
    session = handlers.visitor(request)
    with session.lock:
        session.backbone = view.backbone
    if view.backbone != DEFAULT_BACKBONE:  # the page's dropdown starts on the default: setting it fires a change
        session.expect_echo("backbone", view.backbone)
    for note in view.notes:
        gr.Warning(note)
    is_clip = backbone.family == "clip"
    controls = [
        view.backbone,
        gr.Dropdown(choices=list(backbone.layers), value=view.layer),
        view.bases,
        view.finer,
        view.methods,
        view.gamma if view.gamma is not None else DEFAULT_GAMMA,
        gr.Dropdown(choices=target_choices(backbone, []), value=view.target, visible=not is_clip),
        gr.Textbox(value=view.prompts, visible=is_clip, interactive=True),
        gr.Textbox(value=view.compare_prompts, visible=is_clip, interactive=True),
    ]
    if view.example is None:
        return gr.skip(), *controls, *[gr.skip()] * 7
    return explained(view, controls, request, progress)


def loaded(view: View) -> tuple[View, Backbone]:
    """The view fitted to its backbone, loaded; to the default backbone (with its sentence) when that fails."""
    try:
        backbone = load_backbone(view.backbone)
    except EXPECTED_ERRORS as error:
        view = replace(view, backbone=DEFAULT_BACKBONE, notes=(*view.notes, sentence(error)))
        backbone = load_backbone(DEFAULT_BACKBONE)
    return fit_to(view, backbone), backbone


def explained(view: View, controls: list, request: gr.Request, progress: gr.Progress) -> tuple:
    """The controls with the link's example, its top-5 and target list, and the maps of one Explain run."""
    image_path = save_file_to_cache(EXAMPLES[view.example], get_upload_folder())  # the path the page will send
    try:
        preview, top5, targets, *_ = handlers.on_image(image_path, view.backbone, request)
        maps = handlers.on_run(
            image_path,
            view.backbone,
            view.methods,
            view.target,
            view.prompts,
            view.compare_prompts,
            view.layer,
            controls[5],
            DEFAULT_REFERENCES,
            *DEFAULT_DISPLAY,
            request,
            progress,
        )
    except gr.Error as error:
        gr.Warning(error.message)
        return gr.skip(), *controls, *[gr.skip()] * 7
    handlers.visitor(request).expect_echo("image", image_path)
    controls[6] = gr.Dropdown(choices=targets.choices, value=view.target, visible=True)
    return image_path, *controls, gr.Image(preview, visible=True), *maps
