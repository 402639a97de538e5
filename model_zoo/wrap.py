"""``wrap(model)``: any image classifier as a :class:`~model_zoo.backbone.Backbone`, with no reshape
function and, usually, no layer name: one probe pass (:mod:`.probe`) finds the layers whose output is a
spatial map or a token grid, their layouts, and the default layer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from torch import nn

from .backbone import Backbone, channels_first_grid
from .gap_head import gap_linear_head
from .labels import imagenet_labels
from .logits import LogitsOf
from .preprocess import Preprocess
from .probe import LayerReport, ProbeResult, probe
from .timm_models import timm_preprocess

NAMED_CANDIDATES = 6  # how many candidate layers an error sentence names


def wrap(
    model: nn.Module,
    *,
    labels: Sequence[str] | None = None,
    preprocess: Preprocess | None = None,
    layer: str | None = None,
    name: str | None = None,
) -> Backbone:
    """The Backbone of ``model``, a module whose forward takes a B×3×H×W image batch and returns class
    scores (a B×classes tensor, or an object or dict with ``logits``).

    - layers: every block or stage whose output is N×C×H×W, N×H×W×C or N×(p + h·w)×C tokens, each with
      its own layout (:mod:`.layouts`); the default is the last of them, in the order the forward pass
      finishes them, that the top class score's gradient reaches on its grid (the last layer before
      global pooling; the last block that still feeds a class-token head). ``layer=`` names any module
      whose output is a grid instead.
    - preprocess: timm's pretrained config for a timm model, ``config.image_size`` for a Hugging Face
      model, else ImageNet's 224 px evaluation transform; the probe runs at its crop size.
    - labels: given, else the model's ``config.id2label``, else ImageNet-1k for 1000 classes, else
      ``class 0``, ``class 1``, …
    - CAM applies when the default layer feeds a global-average-pool + ``nn.Linear`` head, checked on the
      probe's numbers: ``y = W · mean_ij A_ij + b``.

    Raises a ValueError with one sentence when the model does not run, returns no class scores, or when no
    layer can be chosen (the sentence names the candidates and ``layer=``).
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"wrap() takes a torch.nn.Module, not {type(model).__name__}")
    model.eval()
    preprocess = preprocess or default_preprocess(model)
    found = probe(model, preprocess.crop)
    default = choose_layer(found, layer)
    offered = [report.name for report in found.layers.values() if report.block or report.name == default]
    head = gap_linear_head(model, found, default, preprocess.crop)
    display_name = name or model_name(model)
    return Backbone(
        name=display_name,
        display_name=display_name,
        family="cnn" if found.layers[default].grid is channels_first_grid else "vit",
        model=model if found.tensor_output else LogitsOf(model),
        preprocess=preprocess,
        layers=tuple(offered),
        default_layer=default,
        labels=class_labels(model, labels, found.logits.shape[1]),
        layer_grids={layer_name: found.layers[layer_name].grid for layer_name in offered},
        cam_layer=default if head is not None else None,
        classifier=head,
    )


def default_preprocess(model: nn.Module) -> Preprocess:
    """timm's evaluation transform for a timm model; ``config.image_size`` (resize = size / 0.875) with
    ImageNet's mean and std for a Hugging Face model; else :class:`Preprocess`'s 224 px ImageNet defaults."""
    if "input_size" in (getattr(model, "pretrained_cfg", None) or {}):
        return timm_preprocess(model)
    size = getattr(getattr(model, "config", None), "image_size", None)
    if isinstance(size, int):
        return Preprocess(crop=(size, size), resize=math.floor(size / 0.875))
    if isinstance(size, list | tuple) and len(size) == 2:
        return Preprocess(crop=(int(size[0]), int(size[1])), resize=math.floor(min(size) / 0.875))
    return Preprocess()


def choose_layer(found: ProbeResult, layer: str | None) -> str:
    """``layer`` when its output is a grid, else the last block (in finishing order) whose grid the top
    class score's gradient reaches; a ValueError naming the candidates and ``layer=`` otherwise."""
    blocks = [report for report in found.layers.values() if report.block]
    if layer is not None:
        if layer not in found.layers:
            raise ValueError(
                f"layer {layer!r} does not give a spatial map or a token grid in this model; "
                f"pass layer= with one of {candidate_names(blocks)}"
            )
        return layer
    reached = [report for report in blocks if report.reached]
    if reached:
        return plainest_name(found, reached[-1].name)
    if not blocks:
        raise ValueError(
            "found no layer whose output is a spatial map (N×C×H×W or N×H×W×C) or a token grid (N×tokens×C); "
            "pass layer= with the name of the module to explain"
        )
    raise ValueError(
        f"cannot choose a layer: the top class score's gradient is zero on the grid of every candidate "
        f"({candidate_names(blocks)}), as with a classifier initialised to zero; pass layer= with the module to explain"
    )


def plainest_name(found: ProbeResult, layer: str) -> str:
    """Among the blocks that return the very tensor ``layer`` returns (a stage and its last block, a list of
    stages and its last stage), the one named by an index (``layer4``, ``stages.3``), then the shortest."""
    chosen = found.outputs[layer]
    same = [
        name
        for name, report in found.layers.items()
        if report.block and found.outputs[name].data_ptr() == chosen.data_ptr() and report.shape == chosen.shape
    ]
    return min(same, key=lambda name: (not name[-1].isdigit(), name.count("."), name))


def candidate_names(reports: Sequence[LayerReport]) -> str:
    """The last few candidate names, for an error sentence: ``'stages.2', 'stages.3' (and 12 more)``."""
    names = ", ".join(repr(report.name) for report in reports[-NAMED_CANDIDATES:])
    more = len(reports) - NAMED_CANDIDATES
    return f"{names} (and {more} earlier)" if more > 0 else names


def class_labels(model: nn.Module, labels: Sequence[str] | None, classes: int) -> tuple[str, ...]:
    """``labels`` (one per class), else a Hugging Face ``config.id2label`` that names the classes, else
    ImageNet-1k's for 1000 classes, else ``class 0``, ``class 1``, …"""
    if labels is not None:
        if len(labels) != classes:
            raise ValueError(f"{len(labels)} labels were given for a model with {classes} classes")
        return tuple(str(label) for label in labels)
    id2label = getattr(getattr(model, "config", None), "id2label", None) or {}
    named = [str(id2label.get(index, "")) for index in range(classes)]
    if all(named) and any(label != f"LABEL_{index}" for index, label in enumerate(named)):
        return tuple(named)
    if classes == 1000:
        return imagenet_labels()
    return tuple(f"class {index}" for index in range(classes))


def model_name(model: nn.Module) -> str:
    """timm's architecture name, a Hugging Face model's ``name_or_path``, else the class name."""
    timm_name = (getattr(model, "pretrained_cfg", None) or {}).get("architecture")
    hf_name = getattr(getattr(model, "config", None), "name_or_path", None)
    return timm_name or hf_name or type(model).__name__
