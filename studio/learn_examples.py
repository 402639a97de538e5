"""What the Learn tab computes with a real model: the anatomy of the bundled example at a chosen layer, the
anatomy of a visitor's own Explain results, and the "switch the target" demonstration.

The bundled example's results are computed once per layer (on the first visitor's request, in the app's
one-model-call-at-a-time group) and kept: every later visitor gets them without a model call. A visitor's own
anatomy reuses the A and G their last Explain run captured, so it needs no model call at all.
"""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image, ImageOps

from cam_methods import Explanation, capture, explain
from cam_methods.gradient import gradcam
from cam_methods.targets import class_targets
from model_zoo import DEFAULT_BACKBONE, load_backbone

from . import anatomy, anatomy_figures
from .anatomy_figures import final_overlay
from .examples import EXAMPLES

EXAMPLE = EXAMPLES["chelsea"]
EXAMPLE_LAYER = "blocks.5"  # where Grad-CAM and HiResCAM part on the bundled model (at bn2 they coincide)
PAIR = (EXAMPLES["chelsea"], EXAMPLES["coffee"])
PAIR_SIDE = 224
SWITCH_TARGETS = 5
NO_RESULTS = "Press Explain on the Explain tab first; the anatomy then takes its image, backbone, layer and target."


Figures = tuple[Image.Image, Image.Image, Image.Image, Image.Image, str]


def figures(dissected: anatomy.Anatomy) -> Figures:
    """The bar chart and the sums figure, each wide and narrow (for a phone), and a caption saying what was
    taken apart (and when the maps coincide)."""
    caption = f"**Taken apart:** {dissected.title}."
    if dissected.coincide:
        caption += (
            " At this layer Grad-CAM and HiResCAM give the same map: it feeds global average pooling and a linear "
            "head, so G_k is the same at every position and G_k⊙A_k = α_k·A_k. An earlier layer shows them part "
            "(the layer menu here for the bundled example; Advanced → Layer on the Explain tab for yours)."
        )
    drawn = [
        draw(dissected, narrow)
        for draw in (anatomy_figures.weights_figure, anatomy_figures.sum_figure)
        for narrow in (False, True)
    ]
    return (*drawn, caption)


@functools.lru_cache(maxsize=16)
def example_anatomy(layer: str) -> Figures:
    """The bundled example's anatomy at ``layer`` of the bundled backbone, top-1 class (cached per layer)."""
    backbone = load_backbone(DEFAULT_BACKBONE)
    return figures(anatomy.of_explanation(explain(backbone, EXAMPLE, ["gradcam", "hirescam"], layer=layer)))


def own_anatomy(explanation: Explanation | None) -> Figures:
    """The anatomy of a visitor's latest Explain results (their image, backbone, layer and target)."""
    if explanation is None:
        raise ValueError(NO_RESULTS)
    return figures(anatomy.of_explanation(explanation))


def two_objects() -> Image.Image:
    """The bundled cat (left) and espresso (right) photos side by side, a 2:1 picture that the bundled model
    sees whole (each photo at its native 224 px)."""
    canvas = Image.new("RGB", (2 * PAIR_SIDE, PAIR_SIDE))
    for column, path in enumerate(PAIR):
        with Image.open(path) as photo:
            tile = ImageOps.fit(photo.convert("RGB"), (PAIR_SIDE, PAIR_SIDE))
        canvas.paste(tile, (column * PAIR_SIDE, 0))
    return canvas


@functools.cache
def switch_maps() -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The two-object image as the model saw it, and Grad-CAM before ReLU (on the layer grid) for each of its
    top-5 classes, all from one capture (one forward pass, one short backward for all five), keyed
    "label (probability)" in rank order."""
    backbone = load_backbone(DEFAULT_BACKBONE)
    x = backbone.prepare(two_objects())[0].to(backbone.device)
    evidence = capture(backbone, x, class_targets(backbone, None, SWITCH_TARGETS - 1))  # every key's gradient
    probs = evidence.output[0].float().softmax(dim=-1)
    maps = {
        f"{backbone.labels[key]} ({float(probs[key]):.0%})": gradcam(evidence.activations, gradient).numpy()
        for key, gradient in zip(evidence.keys, evidence.gradients, strict=True)
    }
    return np.asarray(backbone.preprocess.denormalise(x)), maps


@functools.cache
def switch_targets() -> dict[str, Image.Image]:
    """The switch demonstration's overlays, drawn as the Explain tab draws maps, keyed as :func:`switch_maps`."""
    picture, maps = switch_maps()
    return {label: final_overlay(picture, grid_map) for label, grid_map in maps.items()}
