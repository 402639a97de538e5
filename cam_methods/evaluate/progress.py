"""A run's progress bar (tqdm on stderr): images done of the total, images/s, and how many were skipped."""

from __future__ import annotations

import time
from collections.abc import Sequence

from tqdm import tqdm


class RunProgress:
    """Counts the images whose records arrive, and the failed ones among them; ``seconds`` since the start."""

    def __init__(self, total: int, already_done: int, show: bool = True) -> None:
        self.bar = tqdm(total=total, initial=already_done, unit="img", desc="evaluating", disable=not show)
        self.started = time.perf_counter()
        self.images = 0
        self.failed = 0
        self.first_image_seconds = 0.0  # when the first image finished: the engine's start-up (model loading)

    def add(self, records: Sequence[dict]) -> None:
        """Count the images of ``records`` (one image's or a batch's)."""
        images = {record["image"] for record in records}
        if images and not self.images:
            self.first_image_seconds = self.seconds
        self.failed += len({record["image"] for record in records if record.get("error")})
        self.images += len(images)
        self.bar.update(len(images))
        if self.failed:
            self.bar.set_postfix_str(f"{self.failed} skipped")

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def close(self) -> None:
        self.bar.close()
