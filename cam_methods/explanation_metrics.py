"""The faithfulness of an Explanation's maps: scored on demand in shared batches, cached on the Explanation.

The cache key of a map is (method, settings, γ) with γ only for Finer maps (:meth:`Explanation.gamma_of`),
so a new Finer-CAM strength re-scores the Finer maps alone and the other maps keep their numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .explanation import Explanation
from .metrics import Faithfulness, MetricSettings, faithfulness


def score_maps(
    explanation: Explanation,
    method_ids: Iterable[str] | None = None,
    settings: MetricSettings | None = None,
    batch_size: int | None = None,
    progress: Callable[[float, str], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> dict[str, Faithfulness]:
    """Deletion / insertion AUC and RD@5% of the maps ``method_ids`` of ``explanation`` (all when None): cached
    ones as they are, the rest scored together in shared batches (:func:`.metrics.faithfulness`)."""
    settings = settings or MetricSettings()
    method_ids = list(dict.fromkeys(explanation.method_ids if method_ids is None else method_ids))
    missing = [method_id for method_id in method_ids if method_id not in explanation.maps]
    if missing:
        raise KeyError(f"no map for {', '.join(missing)} in this explanation; it has {', '.join(explanation.maps)}")
    cache = explanation.metric_cache
    pending = {m: explanation.maps[m] for m in method_ids if metric_key(explanation, m, settings) not in cache}
    computed = faithfulness(
        explanation.backbone,
        explanation.input_tensor,
        pending,
        explanation.evidence.keys[:2],
        settings,
        batch_size,
        progress,
        cancel,
    )
    cache.update({metric_key(explanation, method_id, settings): result for method_id, result in computed.items()})
    return {method_id: cache[metric_key(explanation, method_id, settings)] for method_id in method_ids}


def metric_key(explanation: Explanation, method_id: str, settings: MetricSettings) -> tuple:
    """The cache key of one map's metrics: (method, settings), plus γ for a Finer map, whose map depends on it."""
    return method_id, settings, explanation.gamma_of(method_id)


def cached_faithfulness(
    explanation: Explanation, method_id: str, settings: MetricSettings | None = None
) -> Faithfulness | None:
    """The metrics of one map if they were already computed with ``settings``, else None (no model call)."""
    return explanation.metric_cache.get(metric_key(explanation, method_id, settings or MetricSettings()))
