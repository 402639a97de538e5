"""The faithfulness of an Explanation's maps: scored on demand in shared batches, cached on the Explanation.

The cache key of a map is (map id, settings, ROAD settings, γ) with γ only for Finer maps
(:meth:`Explanation.gamma_of`), so a new Finer-CAM strength re-scores the Finer maps alone and the other maps
keep their numbers. The baseline maps (:mod:`.baseline_maps`) are scored with the first maps of an
Explanation and cached the same way, under their ids ``baseline:random`` and ``baseline:centre``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .baseline_maps import BASELINE_NAMES, baseline_maps
from .explanation import Explanation
from .map_scores import MapScores, score_all
from .metrics import MetricSettings
from .registry import METHODS
from .road import RoadSettings


def score_maps(
    explanation: Explanation,
    method_ids: Iterable[str] | None = None,
    settings: MetricSettings | None = None,
    batch_size: int | None = None,
    progress: Callable[[float, str], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    road: RoadSettings | None = None,
    baselines: bool = True,
) -> dict[str, MapScores]:
    """Every measure (:func:`.map_scores.score_all`: deletion / insertion AUC, RD@5%, ROAD, Average Drop /
    Increase) of the maps ``method_ids`` of ``explanation`` (all when None): cached ones as they are, the rest
    scored together in shared batches, with the baseline maps unless ``baselines`` is False (read them with
    :func:`cached_baselines`)."""
    settings, road = settings or MetricSettings(), road or RoadSettings()
    method_ids = list(dict.fromkeys(explanation.method_ids if method_ids is None else method_ids))
    missing = [method_id for method_id in method_ids if method_id not in explanation.maps]
    if missing:
        raise KeyError(f"no map for {', '.join(missing)} in this explanation; it has {', '.join(explanation.maps)}")
    available = dict(explanation.maps)
    if baselines:
        available.update(baseline_maps(*explanation.input_tensor.shape[-2:]))
        method_ids_and_baselines = [*method_ids, *BASELINE_NAMES]
    else:
        method_ids_and_baselines = method_ids
    cache = explanation.metric_cache
    pending = {
        m: available[m] for m in method_ids_and_baselines if metric_key(explanation, m, settings, road) not in cache
    }
    computed = score_all(
        explanation.backbone,
        explanation.input_tensor,
        pending,
        explanation.evidence.keys[:2],
        settings,
        road,
        batch_size,
        progress,
        cancel,
    )
    cache.update({metric_key(explanation, m, settings, road): result for m, result in computed.items()})
    return {method_id: cache[metric_key(explanation, method_id, settings, road)] for method_id in method_ids}


def metric_key(
    explanation: Explanation, method_id: str, settings: MetricSettings, road: RoadSettings | None = None
) -> tuple:
    """The cache key of one map's measures: (map id, settings, ROAD settings), plus γ for a Finer map."""
    gamma = explanation.gamma_of(method_id) if method_id in METHODS else None
    return method_id, settings, road or RoadSettings(), gamma


def cached_faithfulness(
    explanation: Explanation,
    method_id: str,
    settings: MetricSettings | None = None,
    road: RoadSettings | None = None,
) -> MapScores | None:
    """The measures of one map (or baseline id) if already computed with these settings, else None (no model
    call)."""
    return explanation.metric_cache.get(metric_key(explanation, method_id, settings or MetricSettings(), road))


def cached_baselines(
    explanation: Explanation, settings: MetricSettings | None = None, road: RoadSettings | None = None
) -> dict[str, MapScores]:
    """The baseline maps' measures already computed for ``explanation`` (id → scores), in a fixed order."""
    found = {name: cached_faithfulness(explanation, name, settings, road) for name in BASELINE_NAMES}
    return {name: scores for name, scores in found.items() if scores is not None}
