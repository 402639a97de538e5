"""The rows of ``benchmarks/speed.py``: the bundled EfficientNet-Lite0, and ViT-B/16 and CLIP ViT-B/32 on
random weights (no network needed).

    from speed_families import family_backbones, family_rows, picture_row

``picture_row(Row, panel)`` adds the bundled model's panel from a PIL image (preprocessing included).
``family_backbones()`` builds the three backbones and returns ``(label, backbone, x, explain_kwargs)`` per
row, ``x`` being the 1×3×224×224 input tensor of ``assets/chelsea.png`` and ``explain_kwargs`` what
``explain`` needs beyond it (CLIP: ``prompts``). The CLIP backbone's 1000 zero-shot class prompts are
encoded here, once, so that no timed call pays for them. ``family_rows(Row, panel)`` turns them into
speed.py's rows; each row's panel drops the methods its backbone cannot run (CAM on the transformers).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import torch  # noqa: E402
from reference_cams import full_pass  # noqa: E402  (the textbook one-method-one-pass helper of the tests)

from cam_methods import METHODS, Explanation, applicable_methods, explain  # noqa: E402
from model_zoo import Backbone, load_backbone  # noqa: E402

CLIP_PROMPT = "a photo of a cat"
Score = Callable[[torch.Tensor, float], torch.Tensor]


def family_backbones() -> list[tuple[str, Backbone, torch.Tensor, dict[str, Any]]]:
    """Random-weight ViT-B/16 (timm) and CLIP ViT-B/32 (open_clip), each with its chelsea input tensor."""
    from PIL import Image

    picture = Image.open(ROOT / "assets" / "chelsea.png")
    lite0 = load_backbone("efficientnet_lite0")
    torch.manual_seed(0)
    vit = load_backbone("vit_base_patch16_224", random_weights=True)
    clip = load_backbone("ViT-B-32", random_weights=True)
    clip.prompt_scorer.embed(clip.prompt_scorer.class_prompts)  # the one-off text cost, outside the timings
    rows = [
        ("EfficientNet-Lite0 (bundled", lite0, lite0.prepare(picture)[0], {}),
        ("ViT-B/16 (timm, random", vit, vit.prepare(picture)[0], {}),
        ("CLIP ViT-B/32 (random", clip, clip.prepare(picture)[0], {"prompts": [CLIP_PROMPT]}),
    ]
    return [(f"{name}, {'×'.join(map(str, x.shape[-2:]))})", backbone, x, kwargs) for name, backbone, x, kwargs in rows]


def naive_maps(first: Explanation, x: torch.Tensor, methods: list[str]) -> None:
    """The per-method way, for ``first``'s target and references: a full forward and backward pass (down to
    the input) for every single map; CAM reads the FC weights instead of G."""
    backbone = first.backbone
    layer = backbone.module(None)
    size = tuple(x.shape[-2:])
    score = target_score(first)
    head = backbone.head_weights(None)
    for method_id in methods:
        info = METHODS[method_id]
        gamma = 0.6 if info.family == "finer" else 0.0
        A, G, _ = full_pass(backbone.model, layer, x, lambda y, g=gamma: score(y, g))
        A, G = (backbone.to_grid(torch.from_numpy(t).float()[None], size) for t in (A, G))
        info.pure(A, head[first.target] if info.uses_head_weights else G)


def target_score(first: Explanation) -> Score:
    """``s = y_c − γ · mean_t y_rt`` for the panel's own target and references (classes or prompts)."""
    backbone = first.backbone
    if backbone.prompt_scorer is None:
        target, refs = first.target, list(first.references)
        return lambda y, gamma: y[0, target] - gamma * y[0, refs].mean()
    keys = [first.target, *first.references]

    def prompt_score(y: torch.Tensor, gamma: float) -> torch.Tensor:
        scores = backbone.prompt_scorer.similarity(y, keys)[0]
        return scores[0] - gamma * scores[1:].mean()

    return prompt_score


def picture_row(Row: type, panel: list[str], from_picture: bool = True) -> object:
    """The bundled model's row from a PIL image: ``explain`` preprocesses the picture itself (resize, crop,
    normalise), against the same inference-mode forward of the ready tensor (``from_picture=False``: the
    panel from that tensor, as in ``family_rows``)."""
    from PIL import Image

    picture = Image.open(ROOT / "assets" / "chelsea.png")
    picture.load()
    backbone = load_backbone("efficientnet_lite0")
    x = backbone.prepare(picture)[0]
    first = explain(backbone, picture, panel)

    def forward() -> None:
        with torch.inference_mode():
            backbone.model(x)

    source = picture if from_picture else x
    return Row(
        label=f"EfficientNet-Lite0, from a {'PIL image' if from_picture else 'tensor'}",
        forward=forward,
        panel=lambda: explain(backbone, source, panel),
        per_method=lambda: naive_maps(first, x, panel),
        with_gamma=lambda: first.with_gamma(1.1),
    )


def family_rows(Row: type, panel: list[str]) -> list:
    """speed.py's ``Row`` for each family backbone: forward, panel, per-method and with_gamma callables."""
    rows = []
    for label, backbone, x, kwargs in family_backbones():
        methods = [method for method in panel if method in applicable_methods(backbone)]
        first = explain(backbone, x, methods, **kwargs)

        def forward(backbone: Backbone = backbone, x: torch.Tensor = x) -> None:
            with torch.inference_mode():
                backbone.model(x)

        rows.append(
            Row(
                label=label,
                forward=forward,
                panel=lambda b=backbone, x=x, m=methods, k=kwargs: explain(b, x, m, **k),
                per_method=lambda f=first, x=x, m=methods: naive_maps(f, x, m),
                with_gamma=lambda e=first: e.with_gamma(1.1),
            )
        )
    return rows
