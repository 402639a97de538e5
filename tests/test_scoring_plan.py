"""The scorer's choice of path and batch size, driven by fake, deterministic timings (no timed asserts), the batch
limit, and small calls that skip the calibration."""

import pytest
import torch
from test_scoring import KEYS, inputs, one_at_a_time, toy  # noqa: F401 - toy is a fixture

from cam_methods import scoring
from cam_methods.scoring import CALIBRATE_FROM, Scorer, batch_limit, timed_runs
from cam_methods.scoring_plan import search

MS = 1e-3
# The case that broke the old rule ("stop at the first size that is not faster"): ONNX Runtime on the bundled
# model, 37 ms per image at batch 2, a noisy 38 ms at 4, then 28 ms at 32; eager slower at every size.
ISSUE_CASE = {
    "onnx": {1: 45, 2: 37, 4: 38, 8: 31, 16: 29, 32: 28},
    "channels_last": {1: 40, 2: 39, 4: 41, 8: 45, 16: 50, 32: 55},
    "eager": {1: 54, 2: 60, 4: 70, 8: 80, 16: 90, 32: 95},
}


class FakeTimer:
    """``measure(path, size)`` from a table of ms per image; charges its runs, as the real one."""

    def __init__(self, table: dict[str, dict[int, float]]) -> None:
        self.table, self.calls, self.spent = table, [], 0.0

    def __call__(self, path: str, size: int) -> tuple[float, float]:
        per_image = self.table[path][size] * MS
        batches = timed_runs(size * per_image)
        self.calls.append((path, size))
        self.spent += batches * size * per_image
        return per_image, batches * size * per_image


def test_keeps_doubling_past_a_noisy_size_and_finds_the_best_batch():
    timer = FakeTimer(ISSUE_CASE)
    plan = search(list(ISSUE_CASE), timer, limit=32, budget=4.0, runs=timed_runs)
    assert (plan.path, plan.batch_size) == ("onnx", 32)
    assert plan.seconds_per_image == pytest.approx(28 * MS)
    assert ("eager", 2) not in timer.calls  # 54 ms > 1.25 × 40 ms at batch 1: out after one size
    assert ("channels_last", 16) not in timer.calls  # 45 ms > 1.25 × 31 ms at batch 8
    assert timer.spent <= 4.0


def test_the_budget_stops_the_doubling_and_is_charged_deterministically():
    budgets = {}
    for budget in (0.0, 0.5, 1.0, 4.0):
        timer = FakeTimer(ISSUE_CASE)
        plan = search(list(ISSUE_CASE), timer, limit=32, budget=budget, runs=timed_runs)
        assert timer.spent <= max(budget, sum(_batch_one_costs(ISSUE_CASE).values())) + 1e-12
        budgets[budget] = (plan.batch_size, tuple(timer.calls))
    assert budgets[0.0][0] == 1 and {size for _, size in budgets[0.0][1]} == {1}  # batch 1 is always measured
    assert budgets[0.5][0] < budgets[4.0][0]
    timer = FakeTimer(ISSUE_CASE)
    search(list(ISSUE_CASE), timer, limit=32, budget=1.0, runs=timed_runs)
    assert tuple(timer.calls) == budgets[1.0][1]  # same timings, same search


def _batch_one_costs(table: dict[str, dict[int, float]]) -> dict[str, float]:
    return {path: timed_runs(times[1] * MS) * times[1] * MS for path, times in table.items()}


def test_a_path_stops_after_two_sizes_in_a_row_beyond_the_noise():
    table = {"only": {1: 10, 2: 12, 4: 9.5, 8: 12, 16: 13, 32: 1}}  # 2 is one bad size; 8 and 16 end it
    timer = FakeTimer(table)
    plan = search(["only"], timer, limit=32, budget=100.0, runs=timed_runs)
    assert [size for _, size in timer.calls] == [1, 2, 4, 8, 16]
    assert plan.batch_size == 4


def test_the_limit_caps_the_sizes():
    timer = FakeTimer({"only": {size: 100 / size for size in (1, 2, 4, 8, 16, 32)}})
    assert search(["only"], timer, limit=6, budget=100.0, runs=timed_runs).batch_size == 4
    assert max(size for _, size in timer.calls) == 4


def test_batch_limit_counts_images_and_pixels():
    cpu = torch.device("cpu")
    assert batch_limit(cpu, (3, 224, 352)) == 32
    assert batch_limit(cpu, (3, 8, 8)) == 32
    assert batch_limit(cpu, (3, 1024, 1024)) == 2
    assert batch_limit(cpu, (3, 8000, 8000)) == 1


def test_a_small_call_skips_the_calibration_and_the_export(toy, monkeypatch):  # noqa: F811
    built = []
    monkeypatch.setattr(scoring, "candidate_runners", lambda *args: built.append(1) or {})
    scorer = Scorer(toy)
    x = inputs(CALIBRATE_FROM - 1)
    scores = scorer.score(x, KEYS)
    assert not built and scorer.planned((3, 8, 8)) is None
    torch.testing.assert_close(scores.double(), one_at_a_time(toy, x), atol=1e-5, rtol=0)


def test_the_chosen_batch_takes_at_most_max_batch_seconds_so_stop_is_heard_between_batches():
    timer = FakeTimer(ISSUE_CASE)
    plan = search(list(ISSUE_CASE), timer, limit=32, budget=4.0, runs=timed_runs, max_batch_seconds=0.5)
    assert (plan.path, plan.batch_size) == ("onnx", 16)  # 16 × 29 ms fits in 0.5 s; 32 × 28 ms does not
    assert ("onnx", 32) not in timer.calls  # a batch estimated past the bound is not even timed


def test_batch_one_is_chosen_when_no_batch_fits_the_bound():
    slow = {"eager": {1: 900, 2: 800, 4: 700}}
    plan = search(["eager"], FakeTimer(slow), limit=4, budget=60.0, runs=timed_runs, max_batch_seconds=0.5)
    assert (plan.path, plan.batch_size) == ("eager", 1)
