"""A loaded backbone (:class:`Backbone`): the model plus every model-specific fact the engine needs, so
that ``cam_methods`` runs the model and hooks its layers without knowing which model it is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import torch
from PIL import Image
from torch import nn

from .preprocess import Geometry, Preprocess

FAMILIES = ("cnn", "vit", "clip")


def softmax_scores(output: torch.Tensor, keys: Sequence) -> torch.Tensor:
    """A classifier's score for each target class: ``softmax(y)[:, keys]`` (B×T)."""
    return output.float().softmax(dim=-1)[:, list(keys)]


def channels_first_grid(activation: torch.Tensor, input_size: tuple[int, int] | None = None) -> torch.Tensor:
    """CNN layers already give 1×K×h×w: return the K×h×w grid (``input_size`` is not needed)."""
    if activation.dim() != 4:
        raise ValueError(f"expected a 1×K×h×w activation from a CNN layer, got shape {tuple(activation.shape)}")
    return activation[0]


class PromptScorer(Protocol):
    """The text side of a CLIP model: ``similarity(e, prompts)[b, t] = logit_scale · cos(e_b, text(prompts_t))``.

    ``class_prompts`` are the zero-shot candidates: one prompt per entry of the backbone's ``labels``, same order.
    """

    class_prompts: tuple[str, ...]

    def similarity(self, image_embedding: torch.Tensor, prompts: Sequence[str]) -> torch.Tensor: ...


@dataclass(eq=False)
class Backbone:
    """A model in eval mode with its preprocessing, layers, labels and family.

    The engine asks it for:

    - ``prepare(image)``: the input tensor and the :class:`~model_zoo.preprocess.Geometry` record;
    - ``layers`` / ``default_layer`` / ``module(layer)``: where to hook;
    - ``grid_of(layer)(activation, input_size)``: the hooked layer's output as a K×h×w grid (transformers
      drop prefix tokens here and read h×w from the input's H×W): ``layer_grids[layer]`` when the layers
      differ in layout (a wrapped model), else ``to_grid``;
    - ``head_weights(layer)``: the FC weights when ``layer`` feeds a global-average-pool + linear head (CAM);
    - ``labels``: class names (for CLIP, the zero-shot class names);
    - ``score_outputs(output, keys)``: the B×T scores that perturbation methods and metrics compare
      (softmax probabilities of the target classes for a classifier; for CLIP, each prompt's zero-shot
      probability against the class prompts);
    - ``prompt_scorer``: for CLIP only, the text side that turns prompts into scores.

    ``cam_layer`` names the layer whose output goes straight into global average pooling and then
    ``classifier`` (a single ``nn.Linear``); CAM applies only there.
    """

    name: str
    display_name: str
    family: str
    model: nn.Module
    preprocess: Preprocess
    layers: Sequence[str]
    default_layer: str
    labels: Sequence[str] | None = None
    to_grid: Callable[[torch.Tensor, tuple[int, int]], torch.Tensor] = channels_first_grid
    layer_grids: Mapping[str, Callable[[torch.Tensor, tuple[int, int]], torch.Tensor]] = field(default_factory=dict)
    cam_layer: str | None = None
    classifier: nn.Linear | None = None
    score_outputs: Callable[[torch.Tensor, Sequence], torch.Tensor] = softmax_scores
    prompt_scorer: PromptScorer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"family must be one of {FAMILIES}, not {self.family!r}")
        if (self.family == "clip") != (self.prompt_scorer is not None):
            raise ValueError("a CLIP backbone needs a prompt_scorer, and only a CLIP backbone has one")
        if self.default_layer not in self.layers:
            raise ValueError(f"default layer {self.default_layer!r} is not among the layers {list(self.layers)}")
        self.model.eval()

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def prepare(self, image: Image.Image) -> tuple[torch.Tensor, Geometry]:
        tensor, geometry = self.preprocess(image)
        return tensor.to(self.device), geometry

    def module(self, layer: str | None) -> nn.Module:
        """The module called ``layer`` (the default layer when None), or a ValueError naming the choices."""
        layer = layer or self.default_layer
        if layer not in self.layers:
            raise ValueError(
                f"{self.display_name} has no selectable layer {layer!r}; choose one of {list(self.layers)}"
            )
        return self.model.get_submodule(layer)

    def grid_of(self, layer: str) -> Callable[[torch.Tensor, tuple[int, int]], torch.Tensor]:
        """The function that lays ``layer``'s output out as K×h×w: its own, else the backbone's ``to_grid``."""
        return self.layer_grids.get(layer, self.to_grid)

    def class_logits(self, output: torch.Tensor) -> torch.Tensor:
        """B×classes scores from the model output: a classifier's logits; on CLIP the zero-shot scores
        ``s(class prompt c)`` of every label (their softmax is the zero-shot prediction)."""
        if self.prompt_scorer is None:
            return output
        return self.prompt_scorer.similarity(output, self.prompt_scorer.class_prompts)

    def head_weights(self, layer: str | None) -> torch.Tensor | None:
        """The classifier's weight matrix (classes × K) when ``layer`` feeds a GAP + linear head, else None."""
        if self.classifier is None or (layer or self.default_layer) != self.cam_layer:
            return None
        return self.classifier.weight.detach()

    def class_index(self, target: int | str) -> int:
        """Resolve a class index or a label name (any comma-separated synonym, any case) to an index."""
        if not self.labels:
            raise ValueError(f"{self.display_name} is not a classifier: it has no class labels to target")
        if isinstance(target, bool) or not isinstance(target, (int, str)):
            raise ValueError(f"a target is a class index or a label name, not {target!r}")
        if isinstance(target, int):
            if not 0 <= target < len(self.labels):
                raise ValueError(
                    f"class index {target} is out of range: {self.display_name} has {len(self.labels)} classes"
                )
            return target
        wanted = target.strip().lower()
        for index, label in enumerate(self.labels):
            if wanted == label.lower() or wanted in (part.strip().lower() for part in label.split(",")):
                return index
        raise ValueError(f"unknown class {target!r} for {self.display_name}; pass a class index or one of its labels")
