"""Average Drop % and Increase in Confidence (Chattopadhay et al. 2018, Grad-CAM++; the measures of the
Score-CAM paper's and torch-cam's tables): one forward pass per map.

The explanation map E (H×W in [0, 1], aligned with the input) multiplies the model input x (in the
normalised input space, as torch-cam does, so E = 0 gives the dataset's mean colour). With Y the target's
score on x and O its score on E ⊙ x:

    drop = 100 · max(0, Y − O) / Y         (per image; Average Drop % is its mean over images; lower is better)
    increase = 1[O > Y]                    (Increase in Confidence = 100 · its mean over images; higher is better)

Scores come from :func:`.scoring.score_inputs` (the class's softmax probability; the zero-shot probability of
the prompt on CLIP).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from model_zoo import Backbone

from .scoring import score_inputs

Tensor = torch.Tensor


@dataclass(frozen=True)
class ConfidenceScores:
    """One map on one image: the target's score on the full input (Y) and on the masked input (O)."""

    full_score: float
    masked_score: float

    @property
    def average_drop(self) -> float:
        """``100 · max(0, Y − O) / Y`` (this image's term of Average Drop %)."""
        return 100.0 * max(0.0, self.full_score - self.masked_score) / self.full_score

    @property
    def increase(self) -> float:
        """``100 · 1[O > Y]`` (this image's term of Increase in Confidence, in %)."""
        return 100.0 * float(self.masked_score > self.full_score)


def average_drop_and_increase(scores: Sequence[ConfidenceScores]) -> tuple[float, float]:
    """(Average Drop %, Increase in Confidence %) over images: the means of the per-image terms."""
    if not scores:
        raise ValueError("Average Drop needs at least one scored map")
    return float(np.mean([s.average_drop for s in scores])), float(np.mean([s.increase for s in scores]))


def confidence_scores(
    backbone: Backbone,
    input_tensor: Tensor,
    maps: Sequence[np.ndarray],
    keys: Sequence[Hashable],
    batch_size: int = 2,
    cancel: Callable[[], bool] | None = None,
) -> list[ConfidenceScores]:
    """Y and O of the target ``keys[0]`` for each H×W map in ``maps`` (values in [0, 1]) on ``input_tensor``."""
    for input_map in maps:
        if input_map.min() < 0 or input_map.max() > 1:
            raise ValueError("Average Drop needs maps with values in [0, 1]")
    masks = torch.from_numpy(np.stack(maps)).to(input_tensor.device, input_tensor.dtype)
    inputs = torch.cat([input_tensor, input_tensor * masks[:, None]])
    scores = score_inputs(backbone, inputs, keys[:1], batch_size=batch_size, cancel=cancel)[:, 0].double()
    full = float(scores[0])
    return [ConfidenceScores(full, float(masked)) for masked in scores[1:]]
