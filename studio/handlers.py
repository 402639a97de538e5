"""The app's model-calling event handlers: a new backbone or image (validated once, top-5), Explain and its
quick re-runs, Stop (Score faithfulness is in :mod:`.score_handler`). Each finds its visitor's
:class:`~studio.session.Session` from the request, and every failure becomes one sentence
(:func:`~studio.errors.friendly_errors`). Display events are in :mod:`.display_handlers`."""

from __future__ import annotations

from typing import Any

import gradio as gr

from cam_methods import METHODS, explain, load_image, predict, top_classes
from cam_methods.images import DISPLAY_SIDE

from . import views
from .any_model import load_backbone
from .choices import TOP1, check_display, class_probabilities, parse_gamma, parse_prompts, parse_target, target_choices
from .errors import friendly_errors
from .fair_use import client_gone
from .files import png
from .limits import MAX_MAPS_PER_RUN
from .session import IMAGE_FILES, STORE, Session
from .tiles import tile_choices, tiles_of

CLEARED = ([], "", [], None, None)  # gallery, summary, faithfulness table, curves, compare slider


def visitor(request: gr.Request | None) -> Session:
    return STORE.get(getattr(request, "session_hash", None))


@friendly_errors
def on_backbone(
    name: str,
    request: gr.Request | None = None,
    progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008  (a Hub download's tqdm bars, on the page)
) -> tuple[gr.Dropdown, gr.Dropdown, gr.Textbox, gr.Textbox]:
    """Load the chosen backbone (a Hub download shows its progress bars on the page); return its layer choices,
    its target choices and the prompt boxes' visibility. An unavailable one raises its sentence, and
    :func:`on_backbone_refused` puts the previous one back; that change, to the backbone of the maps on the page,
    changes nothing."""
    session = visitor(request)
    if session.is_echo("backbone", name) or session.shows_backbone(name):  # a share link set the controls
        return gr.skip(), gr.skip(), gr.skip(), gr.skip()
    backbone = load_backbone(name)
    with session.lock:
        session.backbone = name
    is_clip = backbone.family == "clip"
    return (
        gr.Dropdown(choices=list(backbone.layers), value=backbone.default_layer),
        gr.Dropdown(choices=target_choices(backbone, []), value=TOP1, visible=not is_clip),
        gr.Textbox(visible=is_clip, interactive=True),
        gr.Textbox(visible=is_clip, interactive=True),
    )


@friendly_errors
def on_backbone_refused(request: gr.Request) -> str:
    """The backbone the visitor had before an unavailable one was chosen (its results stay on the page)."""
    session = visitor(request)
    with session.lock:
        return session.backbone


def on_backbone_loaded(image_path: str | None, backbone_name: str, request: gr.Request) -> tuple:
    """After a backbone change: the image's top-5 on the new backbone (:func:`on_image`), unless there is no image
    (:func:`on_backbone` has set the target list) or the maps on the page already use it (the dropdown was put
    back after a refusal)."""
    if not image_path or visitor(request).shows_backbone(backbone_name):
        return tuple(gr.skip() for _ in range(3 + len(CLEARED)))
    return on_image(image_path, backbone_name, request)


@friendly_errors
def on_image(image_path: str | None, backbone_name: str, request: gr.Request) -> tuple:
    """A new image or backbone: validate the upload once (the Explain runs reuse it), then drop the old results,
    preview it and show the top-5 predictions, which the target selector lists first. A refused upload leaves
    the previous image's results on the page."""
    session = visitor(request)
    if session.is_echo("image", image_path) and session.has_results():  # the share link's image, explained already
        return tuple(gr.skip() for _ in range(3 + len(CLEARED)))
    if not image_path:
        session.drop_results()
        with session.lock:
            session.image = session.image_source = None
        return None, {}, gr.Dropdown(value=TOP1), *CLEARED
    backbone = load_backbone(backbone_name)
    image = validated_image(session, image_path)
    session.drop_results()
    top5 = predict(backbone, image)
    preview = session.files.path((IMAGE_FILES, "preview", image_path), png(lambda: image), "png")
    targets = gr.Dropdown(choices=target_choices(backbone, [index for index, _ in top5]), value=TOP1)
    STORE.settle()
    return str(preview), class_probabilities(backbone, top5), targets, *CLEARED


def validated_image(session: Session, image_path: str) -> Any:
    """The session's validated picture of ``image_path``, decoded (and shrunk to the display size) only once."""
    with session.lock:
        if session.image is not None and session.image_source == image_path:
            return session.image
    image = load_image(image_path, max_side=DISPLAY_SIDE)
    with session.lock:
        session.image, session.image_source = image, image_path
    return image


@friendly_errors
def on_run(
    image_path: str | None,
    backbone_name: str,
    methods: list[str],
    target: str | None,
    prompts: str | None,
    compare_prompts: str | None,
    layer: str | None,
    finer_gamma: float,
    finer_refs: float,
    cmap: str,
    opacity: float,
    signed: bool,
    request: gr.Request,
    progress: gr.Progress = gr.Progress(),  # noqa: B008  (Gradio injects progress through this default)
    event: gr.EventData = None,  # Gradio fills it in (an exact annotation): what triggered the run
) -> tuple:
    """Run the model once for every chosen method (and every prompt, on CLIP) and show the overlays, one row
    per prompt. Explain (and the API) runs them all; a new target, layer or number of references, or a class
    clicked in the top-5 (any other trigger) re-runs only the fast ones and marks the slow ones out of date,
    and does nothing before the first Explain. Stop keeps the maps finished by then. A run overtaken by a
    later one of the same visitor shows nothing."""
    session = visitor(request)
    quick = quick_rerun(event)
    if quick and not session.has_results():
        return tuple(gr.skip() for _ in range(6))
    methods, stale = run_plan(list(methods or []), quick)
    if not image_path:
        raise ValueError("upload an image or pick an example first")
    display = check_display(cmap, opacity, signed)
    backbone = load_backbone(backbone_name)
    clip = backbone.family == "clip"
    prompts_, compares = parse_prompts(prompts), parse_prompts(compare_prompts)
    if len(methods) * (len(prompts_) if clip else 1) > MAX_MAPS_PER_RUN:
        raise ValueError(f"that is more than {MAX_MAPS_PER_RUN} maps at once; choose fewer methods or prompts")
    image = validated_image(session, image_path)
    run, stop = session.begin_run()
    gone = client_gone()
    explanation = explain(
        backbone,
        image,
        methods,
        target=None if clip else parse_target(target),
        prompts=prompts_ if clip else None,
        compare_prompts=compares if clip else None,
        layer=layer,
        finer_gamma=parse_gamma(finer_gamma),
        finer_refs=int(finer_refs),
        progress=lambda fraction, message: progress(fraction, desc=message),
        cancel=lambda: stop.is_set() or gone(),
        skip_inapplicable=True,
        keep_finished=True,
    )
    if gone() or not session.install(run, explanation, tuple(stale)):  # nobody to show it to, or overtaken
        return tuple(gr.skip() for _ in range(6))
    STORE.settle()
    return shown_run(session, backbone, display)


def run_plan(methods: list[str], quick: bool) -> tuple[list[str], list[str]]:
    """(methods to run, methods out of date): a quick re-run leaves the slow ones out; a full run puts the fast
    ones first, so that Stop keeps them."""
    if quick:
        return [m for m in methods if not METHODS[m].slow], [m for m in methods if METHODS[m].slow]
    return sorted(methods, key=lambda method_id: METHODS[method_id].slow), []


def quick_rerun(event: gr.EventData | None) -> bool:
    """Whether the run was triggered by something other than the Explain button (or an API call)."""
    return getattr(getattr(event, "target", None), "elem_id", "run") != "run"


def shown_run(session: Session, backbone: Any, display: views.Display) -> tuple:
    """The page's view of the session's run: gallery, top-5, summary, the compare choices and pair."""
    with session.lock:
        tiles = tiles_of(session.explanation)
        choices = tile_choices(tiles)
        keys = [key for _, key in choices] or [None]
        first, second = keys[0], keys[min(1, len(keys) - 1)]
        top = top_classes(session.explanation.probs) if backbone.labels else []
        return (
            views.gallery(session, tiles, display),
            class_probabilities(backbone, top),
            views.summary(session, tiles),
            gr.Dropdown(choices=choices, value=first),
            gr.Dropdown(choices=choices, value=second),
            views.compare_pair(session, tiles, first, second, display),
        )


def on_earlier_layer(backbone_name: str, layer: str | None) -> str:
    """The layer before ``layer`` (where maps that coincide at the head usually differ)."""
    layers = list(load_backbone(backbone_name).layers)
    return layers[max(layers.index(layer) - 1, 0)] if layer in layers else layers[-1]


def on_top5_pick(event: gr.SelectData) -> tuple[str, str]:
    """A class clicked in the top-5 becomes the target (the dropdown and its copy): its index, from the label
    ``"tiger cat (#282)"``."""
    index = str(event.value).rsplit("(#", 1)[-1].rstrip(")")
    return index, index


def on_stop(request: gr.Request) -> None:
    """Ask the running explanation of this visitor to stop at its next check."""
    visitor(request).stop.set()


def on_unload(request: gr.Request) -> None:
    """The tab was closed: forget its session, results and files."""
    STORE.discard(getattr(request, "session_hash", None))
