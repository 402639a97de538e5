"""The app's event handlers: validate, call the engine or the views, and turn every failure into one
clean sentence (``gr.Error``) so that no traceback reaches the page."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import gradio as gr

from cam_methods import Cancelled, ImageError, load_image
from model_zoo import BACKBONES, Backbone, BackboneUnavailable, load_backbone

from . import faithfulness_panel, views
from .choices import TOP1, class_probabilities, parse_prompts, parse_target, target_choices
from .session import DISPLAY_SIDE, Request, Session, run, score_faithfulness, set_alpha, top_classes, top_predictions

LOG = logging.getLogger("camstudio")
Handler = TypeVar("Handler", bound=Callable[..., Any])
EXPECTED_ERRORS = (ImageError, BackboneUnavailable, ValueError, Cancelled)
_stop_events: dict[str, threading.Event] = {}
_stop_lock = threading.Lock()


def friendly_errors(handler: Handler) -> Handler:
    """Re-raise expected errors as ``gr.Error(message)``; log anything else and show one generic sentence."""

    @functools.wraps(handler)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except gr.Error:
            raise
        except EXPECTED_ERRORS as error:
            raise gr.Error(str(error), print_exception=False) from None
        except Exception:
            LOG.exception("handler %s failed", handler.__name__)
            raise gr.Error(
                "Something went wrong on the server; please try again or choose other settings.", print_exception=False
            ) from None

    return guarded  # type: ignore[return-value]


def zoo_backbone(name: str | None) -> Backbone:
    """Only registered backbones can be loaded; the name comes from the dropdown or the API."""
    if name not in BACKBONES:
        raise ValueError(f"unknown backbone {name!r}; choose one from the list")
    return load_backbone(name)


def stop_event(session_hash: str | None) -> threading.Event:
    with _stop_lock:
        return _stop_events.setdefault(session_hash or "", threading.Event())


def armed_stop(request: gr.Request | None) -> threading.Event:
    """The browser session's stop flag, cleared for a new long call (run or scoring)."""
    stop = stop_event(request.session_hash if request else None)
    stop.clear()
    return stop


@friendly_errors
def on_backbone(name: str) -> tuple[gr.Dropdown, gr.Dropdown, gr.Textbox, gr.Textbox]:
    """Load the chosen backbone; return its layer choices, its target choices and the prompt boxes' visibility."""
    backbone = zoo_backbone(name)
    is_clip = backbone.family == "clip"
    return (
        gr.Dropdown(choices=list(backbone.layers), value=backbone.default_layer),
        gr.Dropdown(choices=target_choices(backbone, []), value=TOP1, visible=not is_clip),
        gr.Textbox(visible=is_clip, interactive=True),
        gr.Textbox(visible=is_clip, interactive=True),
    )


@friendly_errors
def on_image(image_path: str | None, backbone_name: str) -> tuple[str | None, dict[str, float], gr.Dropdown]:
    """Validate the upload (our decoder is the first to open it), preview it and show the top-5 predictions;
    the target selector lists them first."""
    if not image_path:
        return None, {}, gr.Dropdown(value=TOP1)
    image = load_image(image_path)
    backbone = zoo_backbone(backbone_name)
    image.thumbnail((DISPLAY_SIDE, DISPLAY_SIDE))  # the picture that an explain run will use too
    top5 = top_predictions(backbone, image)
    return (
        views.preview_file(image),
        class_probabilities(backbone, top5),
        gr.Dropdown(choices=target_choices(backbone, [index for index, _ in top5]), value=TOP1),
    )


@friendly_errors
def on_run(
    session: Session | None,
    image_path: str | None,
    backbone_name: str,
    methods: list[str],
    target: str | None,
    prompts: str | None,
    compare_prompts: str | None,
    layer: str | None,
    finer_alpha: float,
    finer_refs: float,
    cmap: str,
    opacity: float,
    signed: bool,
    request: gr.Request,
    progress: gr.Progress = gr.Progress(),  # noqa: B008  (Gradio injects progress through this default)
) -> tuple:
    """Run the model once for every chosen method (and every prompt, on CLIP) and show the overlays, one row
    per prompt."""
    if not image_path:
        raise ValueError("upload an image or pick an example first")
    if not methods:
        raise ValueError("choose at least one method")
    backbone = zoo_backbone(backbone_name)
    stop = armed_stop(request)
    session = session or Session()
    explain_request = Request(
        image_path,
        list(methods),
        parse_target(target),
        layer,
        finer_alpha,
        int(finer_refs),
        tuple(parse_prompts(prompts)),
        tuple(parse_prompts(compare_prompts)),
    )
    session = run(session, backbone, explain_request, lambda f, message: progress(f, desc=message), stop.is_set)
    choices = views.tile_choices(session)
    first, second = choices[0][1], choices[min(1, len(choices) - 1)][1]
    return (
        session,
        views.gallery(session, cmap, opacity, signed),
        class_probabilities(backbone, top_classes(session.explanation.probs) if backbone.labels else []),
        views.summary(session),
        gr.Dropdown(choices=choices, value=first),
        gr.Dropdown(choices=choices, value=second),
        views.compare_pair(session, first, second, cmap, opacity, signed),
    )


def on_new_run(session: Session | None) -> tuple:
    """After a run: the gallery's columns for this many methods (the maps stay as they are) and an empty
    Faithfulness panel."""
    return gr.Gallery(columns=views.gallery_columns(session)), [], None


@friendly_errors
def on_metrics(
    session: Session | None,
    cmap: str,
    opacity: float,
    signed: bool,
    request: gr.Request,
    progress: gr.Progress = gr.Progress(),  # noqa: B008  (Gradio injects progress through this default)
) -> tuple:
    """Score every map's faithfulness (batched masked forward passes) and show the numbers in the captions,
    the table and the curves."""
    if session is None:
        raise ValueError("run an explanation first, then score it")
    stop = armed_stop(request)
    session = score_faithfulness(session, lambda f, message: progress(f, desc=message), stop.is_set)
    return (
        session,
        views.gallery(session, cmap, opacity, signed),
        faithfulness_panel.table_rows(session),
        faithfulness_panel.curves_figure(session),
    )


def on_new_input(session: Session | None) -> tuple:
    """A new image or backbone: the maps on the page no longer belong to it, so the session's results and
    files are dropped and the gallery, summary, Faithfulness panel and compare slider are cleared."""
    discard_session(session)
    return None, [], "", [], None, None


def on_stop(request: gr.Request) -> None:
    """Ask the running explanation of this browser session to stop at its next check."""
    stop_event(request.session_hash if request else None).set()


@friendly_errors
def on_alpha(
    session: Session | None,
    finer_alpha: float,
    cmap: str,
    opacity: float,
    signed: bool,
    first: str | None,
    second: str | None,
) -> tuple:
    """New Finer-CAM strength: only the Finer maps are recombined and redrawn (gallery and compare slider);
    no model call. The session is changed in place, so it is not an output."""
    session = set_alpha(session, finer_alpha) if session is not None else None
    compared = (
        views.compare_pair(session, first, second, cmap, opacity, signed)
        if views.shows_finer(session, first, second)
        else gr.skip()  # neither side changed: sending the pair again would only slow the slider down
    )
    return views.gallery(session, cmap, opacity, signed), views.summary(session), compared


@friendly_errors
def on_display(
    session: Session | None, cmap: str, opacity: float, signed: bool, first: str | None, second: str | None
) -> tuple:
    """New colormap, opacity or raw/ReLU choice: redraw from the stored maps."""
    return views.gallery(session, cmap, opacity, signed), views.compare_pair(
        session, first, second, cmap, opacity, signed
    )


@friendly_errors
def on_compare(
    session: Session | None, first: str | None, second: str | None, cmap: str, opacity: float, signed: bool
) -> Any:
    return views.compare_pair(session, first, second, cmap, opacity, signed)


@friendly_errors
def on_download(session: Session | None, cmap: str, opacity: float) -> str:
    return views.export_zip(session, cmap, opacity)


def on_unload(request: gr.Request) -> None:
    """Forget the closed tab's stop flag (its State is dropped by Gradio's delete_callback)."""
    with _stop_lock:
        _stop_events.pop(request.session_hash or "", None)


def discard_session(session: Session | None) -> None:
    if session is not None:
        session.discard()
