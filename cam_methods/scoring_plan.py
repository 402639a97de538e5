"""How the scorer (:mod:`.scoring`) picks the execution path and batch size for one input shape: every path side
by side at doubling batch sizes, on a bounded time budget.

``measure(path, size)`` runs batches of ``size`` inputs on ``path`` and returns the least seconds per image over
its timed runs (min of k: on a shared machine noise only ever adds time) and the wall seconds it spent. The search
(:func:`search`):

- sizes 1, 2, 4, … up to ``limit``; at each size every live path is measured, one after the other, so a change of
  load during the search hits them alike;
- a path leaves the search when its time per image at a size is more than ``SLOWER_PATH`` × the best path's at
  that same size, or after ``PATIENCE`` sizes in a row more than ``NOISE`` above its own best so far (one unlucky
  size does not stop the doubling: the old rule stopped at the first size that did not improve, and picked batch 2
  where batch 32 was 1.3× faster per image), or when its next size's estimated cost, ``size × best``
  × its runs, no longer fits in what is left of ``budget``;
- a size whose one batch would take longer than ``max_batch_seconds`` (at the path's best time per image so far)
  is not measured, and of the measured (path, size) whose batch fits, the one with the least time per image wins
  (batch 1 when none fits): the slow methods check Stop and a closed tab between batches.

The budget is charged with the seconds ``measure`` reports, so the search is a deterministic function of the
timings (the tests drive it with fake ones). Batch 1 of every path is always measured; after that no size starts
unless its estimated cost fits, so the search spends at most ``budget`` plus one batch-1 measurement per path plus
the amount by which an estimate undershot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

NOISE = 0.10  # a time per image within 10 % of the path's best counts as "not worse"
PATIENCE = 2  # sizes in a row beyond the noise before a path stops doubling
SLOWER_PATH = 1.25  # a path slower than this × the best path at the same size leaves the search
Measure = Callable[[str, int], tuple[float, float]]  # (path, size) → (seconds per image, seconds spent)


@dataclass(frozen=True)
class Plan:
    """The measured choice for one input shape: the path, the batch size and its seconds per image."""

    path: str
    batch_size: int
    seconds_per_image: float
    timings: dict[tuple[str, int], float]


def search(
    paths: Sequence[str],
    measure: Measure,
    limit: int,
    budget: float,
    runs: Callable[[float], int],
    max_batch_seconds: float = float("inf"),
) -> Plan:
    """The fastest (path, size) found for sizes 1, 2, 4, … ≤ ``limit`` within ``budget`` seconds, whose batch takes
    at most ``max_batch_seconds`` (see the module docstring); ``runs(seconds_per_batch)`` is how many runs
    ``measure`` makes of a batch that long."""
    timings: dict[tuple[str, int], float] = {}
    best = dict.fromkeys(paths, float("inf"))
    beyond = dict.fromkeys(paths, 0)
    live, size, spent = list(paths), 1, 0.0
    while live and size <= limit:
        measured: dict[str, float] = {}
        for path in live:
            estimate = size * best[path] * runs(size * best[path])
            if size > 1 and (spent + estimate > budget or size * best[path] > max_batch_seconds):
                continue
            measured[path], cost = measure(path, size)
            spent += cost
        for path, per_image in measured.items():
            timings[(path, size)] = per_image
            beyond[path] = 0 if per_image <= best[path] * (1 + NOISE) else beyond[path] + 1
            best[path] = min(best[path], per_image)
        fastest = min(measured.values(), default=0.0)
        live = [p for p in measured if measured[p] <= SLOWER_PATH * fastest and beyond[p] < PATIENCE]
        size *= 2
    fitting = {key: per_image for key, per_image in timings.items() if key[1] * per_image <= max_batch_seconds}
    ones = {key: per_image for key, per_image in timings.items() if key[1] == 1}
    (path, size), seconds = min((fitting or ones).items(), key=lambda item: item[1])
    return Plan(path, size, seconds, timings)
