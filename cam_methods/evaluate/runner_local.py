"""The local engine: a DataLoader decodes images in worker processes while the main process runs the model.

Decoding (``load_image`` + the backbone's preprocessing) is spread over ``workers`` processes and stays a few
images ahead; the model, which costs far more per image (one capture plus ``3 + R·(2N − 1)`` forward passes
for R distinct maps at N steps), runs in this process on every core PyTorch is allowed (or on the GPU).
Records are written to the :class:`~.table.PartStore` every ``chunk`` images, and on an interruption the
images finished so far are written before it propagates.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import torch
from torch.utils.data import DataLoader, Dataset

from model_zoo import Backbone

from .dataset import Sample
from .progress import RunProgress
from .table import PartStore
from .work import RunSettings, decode, evaluate_image, ready_backbone


class DecodedImages(Dataset):
    """(sample, input tensor or None, error or None) for each sample: what :func:`.work.decode` gives."""

    def __init__(self, samples: Sequence[Sample], backbone: Backbone) -> None:
        self.samples = list(samples)
        self.backbone = backbone

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple:
        sample = self.samples[index]
        return (sample, *decode(sample, self.backbone))


def default_workers() -> int:
    """Decoding processes: one per core beyond the one the model's main process keeps busy (0: decode inline)."""
    return max((os.cpu_count() or 1) - 1, 0)


def run_local(
    settings: RunSettings,
    pending: Sequence[Sample],
    store: PartStore,
    progress: RunProgress,
    workers: int | None = None,
    chunk: int = 16,
    threads: int | None = None,
) -> None:
    """Evaluate ``pending`` and write their records to ``store`` (see the module docstring); ``threads`` is
    PyTorch's thread count for the model while the run lasts (default: PyTorch's own, one per core)."""
    backbone = ready_backbone(settings)
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads or previous_threads)
    workers = default_workers() if workers is None else workers
    loader = DataLoader(
        DecodedImages(pending, backbone), batch_size=None, num_workers=workers, collate_fn=lambda item: item
    )
    buffer: list[dict] = []
    finished = 0
    try:
        for sample, tensor, error in loader:
            records = evaluate_image(backbone, sample, tensor, error, settings)
            progress.add(records)
            buffer += records
            finished += 1
            if finished % chunk == 0:
                store.write(buffer)
                buffer = []
    finally:
        store.write(buffer)
        torch.set_num_threads(previous_threads)
