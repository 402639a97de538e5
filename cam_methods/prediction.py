"""What the model predicts for an image: class probabilities and the top-k, for the page's top-5 and for
:meth:`~cam_methods.explanation.Explanation.top_k` (zero-shot over the class prompts on CLIP)."""

from __future__ import annotations

import os

import torch
from PIL import Image

from model_zoo import Backbone

from .images import load_image

Tensor = torch.Tensor
TOP_K = 5


def class_probabilities(backbone: Backbone, output: Tensor) -> Tensor:
    """``softmax(class logits)`` of the first image in ``output`` (a classifier's logits; on CLIP the
    zero-shot scores of every class prompt)."""
    return backbone.class_logits(output)[0].float().softmax(dim=-1)


def top_classes(probs: Tensor, k: int = TOP_K) -> list[tuple[int, float]]:
    """The k most probable classes as (index, probability), most probable first."""
    values, indices = probs.topk(min(k, probs.numel()))
    return [(int(index), float(value)) for value, index in zip(values, indices, strict=True)]


def predict(backbone: Backbone, image: Image.Image | str | os.PathLike, k: int = TOP_K) -> list[tuple[int, float]]:
    """One inference-mode forward pass: the top-k classes of ``image``; empty for a model without labels."""
    if not backbone.labels:
        return []
    tensor, _ = backbone.prepare(load_image(image))
    with backbone.lock, torch.inference_mode():
        output = backbone.model(tensor)
    return top_classes(class_probabilities(backbone, output), k)
