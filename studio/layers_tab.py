"""The "Across layers" tab: the chosen fast methods at every layer of the backbone, as a methods × layers grid
(rows = methods, columns = layers, shallow to deep), for the Explain tab's image, backbone and target, from
one sweep (``explain(..., layers="all")``: one forward pass, one backward). Grad-CAM and HiResCAM coincide at
a layer followed by GAP + a linear head and part at earlier ones; this is where a student sees it.

Slow methods (their own model calls at every layer) are left out and named. The sweep is a model call: it
shares the app's one-at-a-time queue and the per-visitor limit of the Explain button.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from types import SimpleNamespace

import gradio as gr
from PIL import Image

from cam_methods import METHODS, Explanation, explain
from cam_methods.render import map_overlay

from .any_model import load_backbone
from .choices import check_display, parse_prompts, parse_target
from .errors import friendly_errors
from .fair_use import admitted, client_gone
from .files import jpeg
from .handlers import validated_image, visitor
from .session import IMAGE_FILES, STORE, Session

SWEEP_KEY = "layer sweep"  # file keys of the grid: (IMAGE_FILES, SWEEP_KEY, sweep number, layer, method, display)
MAX_TILES = 48  # methods × layers in one sweep: pictures the page loads, within the session's file cap
SWEEPS = itertools.count(1)  # numbers every sweep, so that a new sweep never reuses an old sweep's pictures
PHONE_METHODS = 3  # on a phone the grid is transposed (methods side by side) up to this many methods (canvas.css)


def build(ui: SimpleNamespace, model_calls: str) -> None:
    """The tab and its one event, which reads the Explain tab's inputs (``ui``) and runs in ``model_calls``."""
    with gr.Tab("Across layers"):
        gr.Markdown(
            "Every chosen fast method at every layer of the backbone, from **one** forward pass: rows are methods, "
            "columns are layers (shallow → deep; on a phone, methods side by side and layers down the page). "
            "Methods that agree at the last layer often part earlier."
        )
        ui.sweep = gr.Button("Sweep every layer", variant="primary", elem_id="sweep_layers")
        ui.sweep_status = gr.Markdown(elem_id="sweep_status")
        ui.sweep_grid = gr.Gallery(
            label="Methods × layers", columns=8, height="auto", object_fit="contain", elem_id="layer_grid"
        )
    inputs = [ui.image, ui.backbone, ui.methods, ui.target_id, ui.prompts, ui.cmap, ui.opacity]
    ui.sweep.click(
        **admitted(on_sweep),
        inputs=inputs,
        outputs=[ui.sweep_grid, ui.sweep_status],
        api_name="layers",
        concurrency_id=model_calls,
        show_progress_on=[ui.sweep_status],
    )


@friendly_errors
def on_sweep(
    image_path: str | None,
    backbone_name: str,
    methods: list[str],
    target: str | None,
    prompts: str | None,
    cmap: str,
    opacity: float,
    request: gr.Request,
) -> tuple:
    """Sweep every layer once and return the grid (row by row: one method at every layer) and a status line."""
    if not image_path:
        raise ValueError("upload an image or pick an example on the Explain tab first")
    fast = [method_id for method_id in methods or [] if not METHODS[method_id].slow]
    if not fast:
        raise ValueError("choose at least one fast (gradient-family) method on the Explain tab")
    cmap, opacity, _ = check_display(cmap, opacity, False)
    backbone = load_backbone(backbone_name)
    if len(fast) * len(backbone.layers) > MAX_TILES:
        raise ValueError(
            f"{len(fast)} methods × {len(backbone.layers)} layers is more than {MAX_TILES} maps; choose fewer methods"
        )
    clip = backbone.family == "clip"
    session = visitor(request)
    image = validated_image(session, image_path)
    gone = client_gone()
    sweep = explain(
        backbone,
        image,
        fast,
        target=None if clip else parse_target(target),
        prompts=parse_prompts(prompts)[:1] if clip else None,
        layers="all",
        skip_inapplicable=True,
        cancel=gone,
    )
    sweep_number = next(SWEEPS)
    draw = tile_drawer(session, sweep_number, cmap, opacity)
    with session.lock:
        session.files.forget_all_but(lambda key: not is_older_sweep(key, sweep_number))
        grid = [draw(layer, part, method_id) for method_id in fast for layer, part in sweep.per_layer.items()]
    STORE.settle()
    many = ["many-methods"] if len(fast) > PHONE_METHODS else []  # a phone shows them two by two instead
    gallery = gr.Gallery(value=grid, columns=len(sweep.per_layer), elem_classes=many)
    return gallery, status_line(sweep, fast, methods or [])


def tile_drawer(
    session: Session, sweep: int, cmap: str, opacity: float
) -> Callable[[str, Explanation, str], tuple[str, str]]:
    """``draw(layer, explanation, method) -> (file, caption)``: one cell of the grid, as a session file."""

    def draw(layer: str, part: Explanation, method_id: str) -> tuple[str, str]:
        name = f"{METHODS[method_id].name} · {layer}"
        if method_id not in part.maps:
            return blank_file(session, part), f"{name} · not at this layer"

        def picture():
            return map_overlay(part, method_id, cmap, opacity)

        key = (IMAGE_FILES, SWEEP_KEY, sweep, layer, method_id, cmap, round(opacity, 3))
        return str(session.files.path(key, jpeg(picture), "jpg")), name

    return draw


def blank_file(session: Session, part: Explanation) -> str:
    """A grey cell where a method cannot run (CAM away from the GAP + linear layer)."""
    size = part.picture.size
    key = (IMAGE_FILES, SWEEP_KEY, "blank", size)
    return str(session.files.path(key, jpeg(lambda: Image.new("RGB", size, "#ddd")), "jpg"))


def is_older_sweep(key: tuple, sweep: int) -> bool:
    """Whether a session file is a picture of a sweep before ``sweep``. A sweep's pictures belong to the image
    (``IMAGE_FILES``: an Explain run keeps them) and stay until the next sweep, image or backbone."""
    return key[:2] == (IMAGE_FILES, SWEEP_KEY) and key[2] not in (sweep, "blank")


def status_line(sweep: Explanation, fast: list[str], chosen: list[str]) -> str:
    """Target, layers and timing of the sweep; the slow methods left out, by name."""
    line = (
        f"**Target:** {sweep.target_label} · **{len(fast)} methods × {len(sweep.per_layer)} layers** from one "
        f"capture of {sweep.capture_seconds * 1000:.0f} ms"
    )
    slow = [METHODS[method_id].name for method_id in chosen if METHODS[method_id].slow]
    return line + (f" · left out (slow at every layer): {', '.join(slow)}" if slow else "")
