"""The "Sanity check" tab: cascading model-parameter randomisation and the random-logit check
(:mod:`cam_methods.sanity`) on the Explain tab's image, backbone, target and layer.

Before it runs, the tab says what it will cost (the number of runs, and seconds estimated from the visitor's
last Explain). It shows a strip of maps per method across the cascade, a similarity curve per method and a
table; the run reports progress and stops on Stop, like the other model calls.
"""

from __future__ import annotations

import io
import math
from types import SimpleNamespace

import gradio as gr
from PIL import Image

from cam_methods import METHODS
from cam_methods.sanity import SanityCheck, run_seconds, sanity_check, sanity_cost
from cam_methods.sanity_report import format_similarity, similarity_curve, strip_figure

from .any_model import load_backbone
from .choices import method_label, parse_target
from .errors import friendly_errors
from .fair_use import admitted, client_gone
from .handlers import on_stop, validated_image, visitor

DEFAULT_SANITY_METHODS = ("gradcam", "hirescam", "gradcampp", "eigencam")
MAX_SANITY_METHODS = 6
PHONE_STRIP_MAPS = 3  # maps per line of the strip drawn for a phone (canvas.css: .phone-only)
INTRODUCTION = """### Sanity checks (Adebayo et al. 2018, *Sanity Checks for Saliency Maps*)
**Cascading randomisation**: on a copy of the model (the served one is never changed), the weights are
re-initialised block by block from the head down to the input, and each map is computed again after each
step. The number under each map is Spearman's rank correlation ρ with the original map: a method that
explains the model should drop towards 0 once the head is random. A map that stays the same is showing the
image, not what the model learned. **Random class**: the map of a random other class against the target's
map; a class-specific method should give a different map (low ρ). "blank" means the map became all zero.
Beside ρ, the table gives the overlap (IoU) of the two maps' top-15 % pixels and their SSIM (structural
similarity; 1 = the same map)."""


def sanity_method_choices() -> list[tuple[str, str]]:
    """The methods offered: those built from the shared pass (each run repeats them 11 times or so)."""
    return [(method_label(method_id), method_id) for method_id, info in METHODS.items() if not info.slow]


def sanity_tab(ui: SimpleNamespace, concurrency_id: str) -> None:
    """The tab and its events; ``ui`` holds the Explain tab's inputs, ``concurrency_id`` the model-call group."""
    with gr.Tab("Sanity check", elem_id="sanity_tab") as tab:
        gr.Markdown(INTRODUCTION)
        methods = gr.CheckboxGroup(
            sanity_method_choices(), value=list(DEFAULT_SANITY_METHODS), label="Methods", elem_id="sanity_methods"
        )
        cost = gr.Markdown(elem_id="sanity_cost")
        with gr.Row():
            run = gr.Button("Run sanity check", variant="primary", elem_id="sanity_run")
            stop = gr.Button("Stop", variant="secondary", size="sm", elem_id="sanity_stop")
        status = gr.Markdown(elem_id="sanity_status")
        label = "Maps across the cascade (head → input), then a random class"
        strip = gr.Image(label=label, elem_id="sanity_strip", elem_classes=["wide-only"])
        label = "The cascade, then a random class"  # one line on a phone
        strip_narrow = gr.Image(label=label, elem_id="sanity_strip_narrow", elem_classes=["phone-only"])
        curve = gr.Plot(label="Similarity to the original map", elem_id="sanity_curve")
        table = gr.Markdown(elem_id="sanity_table")
    for trigger in (tab.select, methods.change, ui.backbone.change):
        trigger(on_cost, [ui.backbone, methods], cost, queue=False, api_visibility="private")
    event = run.click(
        **admitted(on_sanity),
        inputs=[ui.image, ui.backbone, methods, ui.target_id, ui.layer],
        outputs=[strip, strip_narrow, curve, table],
        api_name="sanity_check",
        concurrency_id=concurrency_id,
        show_progress_on=[status],
    )
    stop.click(on_stop, None, None, cancels=[event], queue=False, api_visibility="private")


@friendly_errors
def on_cost(backbone_name: str, methods: list[str], request: gr.Request) -> str:
    """The cost of a sanity check, before it runs: its runs and, when the visitor's last Explain on this
    backbone timed the chosen methods, an estimate in seconds. No model call, and no model load outside the
    queue: only the visitor's loaded backbone is counted (the backbone change event loads it, queued)."""
    session = visitor(request)
    with session.lock:
        explanation, loaded = session.explanation, session.backbone == backbone_name
    if not loaded:
        return "**Cost:** one run per block of the backbone, plus the original and a random class."
    backbone = load_backbone(backbone_name)
    if backbone.family == "clip":
        return "The sanity checks need a classifier; choose a CNN or ViT backbone."
    timed = explanation is not None and explanation.backbone.name == backbone.name
    timed = timed and set(methods or []) <= set(explanation.timings)
    estimate = sanity_cost(backbone, run_seconds(explanation, methods) if timed else None)
    blocks = f"{len(estimate.steps) - 1} blocks: {estimate.steps[1]} → {estimate.steps[-1]}"
    cost = f"**Cost:** {estimate.runs} runs of the chosen methods (the original, a random class and {blocks})"
    if estimate.seconds is None:
        return cost + "; press Explain with these methods first for a time estimate."
    return cost + f", about {max(estimate.seconds, 1):.0f} s (from your last Explain)."


@friendly_errors
def on_sanity(
    image_path: str | None,
    backbone_name: str,
    methods: list[str],
    target: str | None,
    layer: str | None,
    request: gr.Request,
    progress: gr.Progress = gr.Progress(),  # noqa: B008  (Gradio injects progress through this default)
) -> tuple:
    """Run both sanity checks on the current image, backbone, target and layer: the strip (wide, and wrapped for
    a phone), the curve, the table."""
    if not image_path:
        raise ValueError("upload an image or pick an example on the Explain tab first")
    if not methods or len(methods) > MAX_SANITY_METHODS:
        raise ValueError(f"choose between 1 and {MAX_SANITY_METHODS} methods for the sanity check")
    session = visitor(request)
    backbone = load_backbone(backbone_name)
    image = validated_image(session, image_path)
    with session.lock:
        stop = session.stop
    stop.clear()
    gone = client_gone()
    check = sanity_check(
        backbone,
        image,
        methods,
        target=parse_target(target),
        layer=layer if layer in backbone.layers else None,
        progress=lambda fraction, message: progress(fraction, desc=message),
        cancel=lambda: stop.is_set() or gone(),
    )
    strips = (figure_image(strip_figure(check, per_line=per_line)) for per_line in (None, PHONE_STRIP_MAPS))
    return *strips, similarity_curve(check), similarity_markdown(check)


def figure_image(figure) -> Image.Image:
    """A matplotlib figure drawn into a picture."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def similarity_markdown(check: SanityCheck) -> str:
    """The table per method: Spearman ρ after the head, after the whole network (with its top-15 % IoU and
    SSIM), the lowest ρ, and ρ for a random class."""
    rows = [
        f"Target **{check.target_label}**, random class **{check.random_label}** (seed {check.seed}).",
        "",
        "| method | ρ, head random | ρ, all random | top-15 % IoU, all random | SSIM, all random | lowest ρ "
        "| ρ, random class |",
        "|---|---|---|---|---|---|---|",
    ]
    for method_id in check.method_ids:
        values = check.similarity[method_id]
        finite = [value for value in values if not math.isnan(value)]
        last = [check.measures[name][method_id][-1] for name in ("top_iou", "ssim")]
        cells = [values[1], values[-1], *last, min(finite, default=math.nan), check.random_similarity[method_id]]
        rows.append(f"| {METHODS[method_id].name} | " + " | ".join(format_similarity(v) for v in cells) + " |")
    return "\n".join(rows)
