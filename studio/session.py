"""Per-browser-session state: the captured Explanation and what produced it, plus rendered overlay files.

The model runs only in :func:`run`; every display change (Finer strength, colormap, opacity, raw vs
ReLU) works from the stored Explanation (``Explanation.with_alpha`` recombines cached gradients).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from PIL import Image

from cam_methods import Explanation, explain, load_image
from model_zoo import Backbone

from .choices import split_applicable

TOP_K = 5
DISPLAY_SIDE = 1024  # overlays are drawn on the upload shrunk to at most this many pixels a side


@dataclass
class Session:
    """What one browser tab has computed. ``workdir`` holds its overlay PNGs and exports."""

    explanation: Explanation | None = None
    skipped: list[str] = field(default_factory=list)
    run_number: int = 0
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="camstudio-")))
    rendered: dict[tuple, Path] = field(default_factory=dict)

    def discard(self) -> None:
        """Delete the session's files (called when Gradio drops the state)."""
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.rendered.clear()


@dataclass(frozen=True)
class Request:
    """One explain request from the UI or the API."""

    image_path: str
    methods: list[str]
    target: int | None
    layer: str | None
    finer_alpha: float
    finer_refs: int
    prompts: tuple[str, ...] = ()
    compare_prompts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tile:
    """One map on the page: ``key`` is the method id, or ``"<method id>@<prompt number>"`` on CLIP, where
    each prompt has a row of maps."""

    key: str
    explanation: Explanation
    method_id: str
    prompt: str | None = None


def tiles(session: Session | None) -> list[Tile]:
    """Every map of the current run in page order: prompt by prompt (CLIP), method by method."""
    if session is None or session.explanation is None:
        return []
    explanation = session.explanation
    if not explanation.per_prompt:
        return [Tile(method_id, explanation, method_id) for method_id in explanation.method_ids]
    return [
        Tile(f"{method_id}@{number}", part, method_id, prompt)
        for number, (prompt, part) in enumerate(explanation.per_prompt.items(), start=1)
        for method_id in part.method_ids
    ]


def explanations(session: Session) -> list[Explanation]:
    """The run's Explanation, or one per prompt on CLIP."""
    explanation = session.explanation
    return list(explanation.per_prompt.values()) if explanation.per_prompt else [explanation]


def top_classes(probs: torch.Tensor, k: int = TOP_K) -> list[tuple[int, float]]:
    """The k most probable classes as (index, probability), most probable first."""
    values, indices = probs.topk(min(k, probs.numel()))
    return [(int(i), float(v)) for v, i in zip(values, indices, strict=True)]


def top_predictions(backbone: Backbone, image: Image.Image, k: int = TOP_K) -> list[tuple[int, float]]:
    """One inference-mode forward pass: ``top_classes(softmax(class logits))`` (zero-shot on CLIP); empty for
    a model without class labels."""
    if not backbone.labels:
        return []
    tensor, _ = backbone.prepare(image)
    with backbone.lock, torch.inference_mode():
        probs = backbone.class_logits(backbone.model(tensor))[0].float().softmax(dim=-1)
    return top_classes(probs, k)


def run(
    session: Session,
    backbone: Backbone,
    request: Request,
    progress: Callable[[float, str], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> Session:
    """Explain the image with the applicable methods; the others are listed in ``skipped``.

    On CLIP the request's prompts are the targets (its class target is ignored); elsewhere its prompts are
    ignored. The upload is shrunk to ``DISPLAY_SIDE`` first (the model sees 224 px anyway), so overlays and
    exports are at most that size. The previous run's overlay files are deleted.
    """
    image = load_image(request.image_path)
    image.thumbnail((DISPLAY_SIDE, DISPLAY_SIDE))
    runnable, skipped = split_applicable(backbone, request.layer, request.methods)
    if not runnable:
        raise ValueError("none of the chosen methods applies to this backbone and layer; choose another method")
    clip = backbone.family == "clip"
    explanation = explain(
        backbone,
        image,
        runnable,
        target=None if clip else request.target,
        prompts=request.prompts if clip else None,
        compare_prompts=request.compare_prompts if clip else None,
        layer=request.layer,
        finer_alpha=request.finer_alpha,
        finer_refs=request.finer_refs,
        progress=progress,
        cancel=cancel,
    )
    for path in session.rendered.values():
        path.unlink(missing_ok=True)
    session.rendered.clear()
    session.explanation, session.skipped = explanation, skipped
    session.run_number += 1
    return session


def score_faithfulness(
    session: Session, progress: Callable[[float, str], None] | None = None, cancel: Callable[[], bool] | None = None
) -> Session:
    """Compute deletion / insertion AUC and RD@5% for every map (batched); the captions, the table and the
    curves show every map whose metrics are cached."""
    if session.explanation is None:
        raise ValueError("run an explanation first, then score it")
    parts = explanations(session)
    for number, explanation in enumerate(parts):

        def overall(fraction: float, message: str, number: int = number) -> None:
            progress((number + fraction) / len(parts), message)

        explanation.metrics_for(progress=progress and overall, cancel=cancel)
    return session


def set_alpha(session: Session, gamma: float) -> Session:
    """Recombine the Finer maps at strength ``gamma`` from the cached gradients (no model call)."""
    if session.explanation is not None and session.explanation.finer_alpha != gamma:
        session.explanation = session.explanation.with_alpha(gamma)
    return session
