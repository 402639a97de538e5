"""Every faithfulness measure of a set of maps in one call: deletion / insertion AUC and RD (:mod:`.metrics`),
ROAD MoRF / LeRF (:mod:`.road`) and Average Drop / Increase in Confidence (:mod:`.confidence_metrics`).

Cost per distinct map: 2N − 1 deletion / insertion inputs and one RD input, 2 × len(fractions) ROAD inputs
(each imputed by conjugate gradients) and one masked input, plus the inputs shared by all maps.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np
import torch

from model_zoo import Backbone

from .confidence_metrics import ConfidenceScores, confidence_scores
from .metrics import Faithfulness, MetricSettings, as_array, faithfulness, pixel_ranks
from .road import RoadScores, RoadSettings, road_scores
from .scoring import batch_size_on

Tensor = torch.Tensor
MEASURES = ("road_morf", "road_lerf", "road_gap", "average_drop", "increase")  # beyond Faithfulness.summary()
SHARES = (0.75, 0.97)  # progress: deletion / insertion / RD until 75 %, ROAD until 97 %, then Average Drop


@dataclass(frozen=True)
class MapScores(Faithfulness):
    """A map's :class:`.metrics.Faithfulness` plus its ROAD curves and its Average Drop / Increase terms."""

    road: RoadScores
    confidence: ConfidenceScores

    def summary(self) -> dict[str, float]:
        """The one-number measures: deletion_auc, insertion_auc, rd, road_morf, road_lerf, road_gap,
        average_drop and increase (this image's terms; average them over images)."""
        return {
            **super().summary(),
            "road_morf": self.road.road_morf,
            "road_lerf": self.road.road_lerf,
            "road_gap": self.road.road_gap,
            "average_drop": self.confidence.average_drop,
            "increase": self.confidence.increase,
        }


def score_all(
    backbone: Backbone,
    input_tensor: Tensor,
    maps: Mapping[str, Tensor | np.ndarray],
    keys: Sequence[Hashable],
    settings: MetricSettings | None = None,
    road: RoadSettings | None = None,
    batch_size: int | None = None,
    progress: Callable[[float, str], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> dict[str, MapScores]:
    """All the measures of every input-aligned H×W map in ``maps`` (``keys[0]`` the target, ``keys[1]`` the
    optional RD reference); maps that deletion scores as one (:data:`.metrics.SAME_MAP_TOLERANCE`) share
    their ROAD and Average Drop too."""
    if not maps:
        return {}
    batch_size = batch_size_on(input_tensor.device, batch_size)
    classic = faithfulness(
        backbone, input_tensor, maps, keys, settings, batch_size, _part(progress, 0, SHARES[0]), cancel
    )
    firsts: dict[int, str] = {}
    for method_id, result in classic.items():
        firsts.setdefault(id(result), method_id)
    distinct = list(firsts.values())
    arrays = [as_array(maps[method_id]) for method_id in distinct]
    ranks = [pixel_ranks(array) for array in arrays]
    roads = road_scores(
        backbone, input_tensor, ranks, keys, road, batch_size, _part(progress, SHARES[0], SHARES[1]), cancel
    )
    confidences = confidence_scores(backbone, input_tensor, arrays, keys, batch_size, cancel)
    combined = {
        id(classic[method_id]): _combine(classic[method_id], road_curves, confidence)
        for method_id, road_curves, confidence in zip(distinct, roads, confidences, strict=True)
    }
    return {method_id: combined[id(result)] for method_id, result in classic.items()}


def _combine(classic: Faithfulness, road: RoadScores, confidence: ConfidenceScores) -> MapScores:
    shared = {field.name: getattr(classic, field.name) for field in fields(Faithfulness)}
    return MapScores(**shared, road=road, confidence=confidence)


def _part(
    progress: Callable[[float, str], None] | None, start: float, stop: float
) -> Callable[[float, str], None] | None:
    """``progress`` with its fraction mapped onto [start, stop] (one stage of the whole run)."""
    if progress is None:
        return None
    return lambda fraction, message: progress(start + (stop - start) * fraction, message)
