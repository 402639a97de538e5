"""The Ray engine: the same per-image work (:mod:`.work`) on Ray Data, from one machine to a cluster.

``ray.data.from_items`` (the pending samples) → ``map_batches`` with a pool of ``actors`` :class:`ImageScorer`
actors, each loading the backbone once and taking one GPU when the cluster has GPUs, ``batch`` images per
call → the driver streams the records back and writes them to the :class:`~.table.PartStore` every ``chunk``
images. With ``RAY_ADDRESS`` set (or a ``ray start`` cluster on this machine), it joins that cluster;
otherwise it starts a private one on this machine, bound to 127.0.0.1, without the dashboard or usage
reporting, and stops it at the end. A session already started by the caller (``ray.init``) is used as is.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import asdict

import pyarrow as pa

from .dataset import Sample
from .progress import RunProgress
from .table import PartStore, records_table
from .work import RunSettings, evaluate_samples, ready_backbone

RAY_MISSING = "--engine ray needs Ray: pip install -r requirements-scale.txt"


class ImageScorer:
    """A Ray Data actor: loads the backbone once, then turns each batch of samples into a table of records."""

    def __init__(self, settings: RunSettings) -> None:
        self.settings = settings
        self.backbone = ready_backbone(settings)

    def __call__(self, batch: dict) -> pa.Table:
        samples = [Sample(str(path), str(key), int(true_class)) for path, key, true_class in zip(
            batch["path"], batch["key"], batch["true_class"], strict=True
        )]  # fmt: skip
        return records_table(evaluate_samples(self.backbone, samples, self.settings))


def start_ray(num_cpus: int | None = None) -> bool:
    """Start or join Ray unless a session is already up; True when this call started it (and should stop it)."""
    if "ray" not in sys.modules:  # Ray reads these when it is imported
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    try:
        import ray
    except ImportError:
        raise ValueError(RAY_MISSING) from None
    if ray.is_initialized():
        return False
    if os.environ.get("RAY_ADDRESS"):
        ray.init(log_to_driver=False)
    else:
        cores = num_cpus or os.cpu_count() or 1
        ray.init(num_cpus=cores, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False)
    return True


def run_ray(
    settings: RunSettings,
    pending: Sequence[Sample],
    store: PartStore,
    progress: RunProgress,
    actors: int = 2,
    batch: int = 1,
    chunk: int = 16,
) -> None:
    """Evaluate ``pending`` on Ray Data and write their records to ``store`` (see the module docstring)."""
    started_here = start_ray()
    import ray

    try:
        ray.data.DataContext.get_current().enable_progress_bars = False
        gpus = 1 if ray.cluster_resources().get("GPU", 0) > 0 else 0
        items = [asdict(sample) for sample in pending]
        scored = ray.data.from_items(items).map_batches(
            ImageScorer,
            fn_constructor_kwargs={"settings": settings},
            batch_size=batch,
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=1,
            num_gpus=gpus,
        )
        _stream(scored, store, progress, chunk)
    finally:
        if started_here:
            ray.shutdown()


def _stream(scored, store: PartStore, progress: RunProgress, chunk: int) -> None:
    """Write the records as they arrive, ``chunk`` images at a time (and what arrived, on an interruption)."""
    buffer: list[dict] = []
    images: set[str] = set()
    try:
        for table in scored.iter_batches(batch_size=None, batch_format="pyarrow"):
            records = table.to_pylist()
            progress.add(records)
            buffer += records
            images.update(record["image"] for record in records)
            if len(images) >= chunk:
                store.write(buffer)
                buffer, images = [], set()
    finally:
        store.write(buffer)
