"""Scoring many inputs (Score-CAM, Abs-CAM phase 2, every metric, the dataset runner), plus the cancel and
progress helpers every slow method uses. One scorer for every forward-only batch:
``scores = backbone.score_outputs(model(inputs), keys)``, in batches whose size and execution path are measured
once per backbone and input shape, not guessed.

    scorer = scorer_for(backbone)                       # one per backbone, kept while the backbone lives
    scores = scorer.score(inputs, keys)                 # B×T for B×3×H×W inputs
    scores = scorer.score_built(count, build, keys, cancel=..., progress=..., message=...)

``build(start, stop)`` makes inputs ``start…stop−1`` on demand, so a thousand masked images are never held at once.

Execution paths, all under ``torch.inference_mode()`` (see :mod:`.scoring_paths`): ``eager`` (the backbone's
own model), ``channels_last`` (a channels-last copy, CNNs only) and ``onnx`` (ONNX Runtime on a CPU, CNNs only,
when ``onnxruntime`` and ``onnx`` are installed). :meth:`Scorer.plan` keeps only the paths whose outputs on a
seeded random batch equal eager's within ``SCORE_TOLERANCE`` (that run is each path's warm-up), then times them
side by side at batch sizes 1, 2, 4, … up to the batch limit (:func:`.scoring_plan.search`: min of ``TIMED_RUNS``
runs per size, one for a batch longer than ``LONG_RUN`` seconds; doubling on past a size that is not faster; within
``CALIBRATION_BUDGET`` seconds after batch 1) and keeps the path and size with the least time per image among
those whose batch takes at most ``MAX_BATCH_SECONDS`` (Score-CAM, Abs-CAM and the metrics check Stop and a closed
tab between batches). The batch limit is ``MAX_BATCH`` images and ``MAX_BATCH_PIXELS`` input pixels (a large image
gets smaller batches).

A call with fewer than ``CALIBRATE_FROM`` inputs for a shape that has no plan yet starts neither the calibration nor
the ONNX export: it runs eager in one batch, so scoring one baseline image never costs a calibration.

A backbone turns its raw output into per-target scores with ``backbone.score_outputs(output, keys)``: for a
classifier the softmax probabilities of the classes in ``keys`` (B×T); on CLIP the prompts' zero-shot probabilities.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Hashable, Sequence

import torch

from model_zoo import Backbone

from .scoring_paths import Runner, candidate_runners, eager_runner, model_device, release_memory
from .scoring_plan import Plan, search

Tensor = torch.Tensor
SCORE_TOLERANCE = 1e-4
MAX_BATCH = {"cpu": 32, "other": 128}
MAX_BATCH_PIXELS = {"cpu": 32 * 224 * 352, "other": 128 * 224 * 352}  # the bundled model's whole-picture input
TIMED_RUNS = 2
LONG_RUN = 0.25  # seconds; a batch at least this long is timed once (its length averages out short noise)
MAX_BATCH_SECONDS = 0.5  # one batch at most: Stop or a closed tab ends a slow method within about this
CALIBRATION_BUDGET = 4.0  # seconds of timed batches, see scoring_plan; a slow model is timed at fewer sizes
CALIBRATE_FROM = 16
CALIBRATION_SEED = 0


class Cancelled(Exception):
    """Raised inside a slow method when the caller's ``cancel()`` returned True."""


def check_cancel(cancel: Callable[[], bool] | None) -> None:
    if cancel is not None and cancel():
        raise Cancelled("cancelled by the user")


def report(progress: Callable[[float, str], None] | None, fraction: float, message: str) -> None:
    if progress is not None:
        progress(min(max(fraction, 0.0), 1.0), message)


def score_inputs(
    backbone: Backbone,
    inputs: Tensor,
    keys: Sequence[Hashable],
    batch_size: int | None = None,
    cancel: Callable[[], bool] | None = None,
) -> Tensor:
    """Scores (B×T) of every input in ``inputs`` (B×3×H×W) for the targets ``keys``: ``scorer_for(backbone).score``,
    ``batch_size`` at a time (None: the measured plan's size)."""
    return scorer_for(backbone).score(inputs, keys, batch_size=batch_size, cancel=cancel)


class Scorer:
    """Scores inputs of one backbone; see the module docstring."""

    def __init__(self, backbone: Backbone) -> None:
        self._backbone = weakref.ref(backbone)  # the cache below is keyed weakly by the backbone
        self._runners: dict[str, Runner] | None = None
        self._allowed: frozenset[str] | None = None  # None: every candidate path
        self._fixed: Plan | None = None
        self._plans: dict[tuple, Plan] = {}
        self._lock = threading.Lock()

    @property
    def backbone(self) -> Backbone:
        return self._backbone()

    def plan(self, shape: Sequence[int]) -> Plan:
        """The path and batch size for C×H×W inputs, measured on first use (then cached)."""
        key = self._key(shape)
        runners = self.runners()
        with self._lock:
            if self._fixed is not None:
                return self._fixed
            if key not in self._plans:
                self._plans[key] = self._measure(runners, tuple(shape))
            return self._plans[key]

    def planned(self, shape: Sequence[int]) -> Plan | None:
        """The plan already fixed or measured for C×H×W inputs; None while there is none."""
        with self._lock:
            return self._fixed or self._plans.get(self._key(shape))

    def _key(self, shape: Sequence[int]) -> tuple:
        return tuple(shape), str(model_device(self.backbone))

    def score(self, inputs: Tensor, keys: Sequence[Hashable], **options) -> Tensor:
        """Scores (B×T) of ``inputs`` (B×C×H×W) for ``keys``; ``options`` as for :meth:`score_built`."""
        return self.score_built(len(inputs), lambda start, stop: inputs[start:stop], keys, inputs.shape[1:], **options)

    def score_built(
        self,
        count: int,
        build: Callable[[int, int], Tensor],
        keys: Sequence[Hashable],
        shape: Sequence[int],
        batch_size: int | None = None,
        cancel: Callable[[], bool] | None = None,
        progress: Callable[[float, str], None] | None = None,
        message: str = "scored",
    ) -> Tensor:
        """Scores (count×T) of the inputs ``build(start, stop)`` makes, one planned batch at a time.

        ``shape`` (C×H×W, the inputs') picks the plan; ``batch_size`` overrides its size, not its path. Fewer than
        ``CALIBRATE_FROM`` inputs and no plan yet: eager, in one batch (no export, no calibration)."""
        if count == 0:
            return torch.zeros((0, len(keys)))
        plan = self.planned(shape) or (self.plan(shape) if count >= CALIBRATE_FROM else None)
        if plan is None:
            runner, size = eager_runner(self.backbone.model), batch_size or count
        else:
            runner, size = self.runners()[plan.path], batch_size or plan.batch_size
        chunks = []
        try:
            for start in range(0, count, size):
                check_cancel(cancel)
                stop = min(start + size, count)
                with self.backbone.lock:
                    chunks.append(self.backbone.score_outputs(runner(build(start, stop)), keys).float().cpu())
                report(progress, stop / count, f"{message} {stop}/{count}")
        finally:
            release_memory(runner, self.backbone.lock)  # the ONNX arena, grown to the job's batches
        return torch.cat(chunks)

    def runners(self) -> dict[str, Runner]:
        """The candidate execution paths by name (built on first use)."""
        with self._lock:
            if self._runners is None:
                with self.backbone.lock:  # no capture hook may sit on the model while it is copied or exported
                    self._runners = candidate_runners(self.backbone, self._allowed)
            return self._runners

    def only(self, *paths: str) -> Scorer:
        """Keep only the named paths (``eager`` at least) and forget the plans measured so far; returns self."""
        with self._lock:
            self._allowed = frozenset(("eager", *paths))
            if self._runners is not None:
                self._runners = {name: run for name, run in self._runners.items() if name in self._allowed}
            self._plans.clear()
            self._fixed = None
        return self

    def fix(self, path: str, batch_size: int) -> Scorer:
        """Use ``path`` at ``batch_size`` for every input shape, unmeasured; returns self. For runs whose numbers
        must repeat bit for bit in other processes: a measured plan can differ between them, and with it the
        last bits of the scores."""
        self.only(path)
        if path not in self.runners():
            raise ValueError(f"execution path {path!r} is not available for {self.backbone.display_name}")
        with self._lock:
            self._fixed = Plan(path, batch_size, float("nan"), {})
        return self

    def _measure(self, runners: dict[str, Runner], shape: tuple[int, ...]) -> Plan:
        """Time the paths that agree with eager side by side at doubling batch sizes (:func:`.scoring_plan.search`)."""
        device = model_device(self.backbone)
        limit = batch_limit(device, shape)
        generator = torch.Generator().manual_seed(CALIBRATION_SEED)
        sample = torch.randn((limit, *shape), generator=generator).to(device)
        with self.backbone.lock:
            reference = runners["eager"](sample[:2]).float()
            others = [name for name, run in runners.items() if name != "eager" and _agrees(run(sample[:2]), reference)]
            agreeing = ["eager", *others]
            timer = _timer(runners, sample)
            return search(agreeing, timer, limit, CALIBRATION_BUDGET, timed_runs, MAX_BATCH_SECONDS)


def batch_limit(device: torch.device, shape: Sequence[int]) -> int:
    """The largest batch the calibration tries: ``MAX_BATCH`` images and ``MAX_BATCH_PIXELS`` pixels (at least 1)."""
    kind = "cpu" if device.type == "cpu" else "other"
    return max(1, min(MAX_BATCH[kind], MAX_BATCH_PIXELS[kind] // (shape[-1] * shape[-2])))


def timed_runs(seconds_per_batch: float) -> int:
    """How many timed runs a batch gets: ``TIMED_RUNS``, or one for a batch at least ``LONG_RUN`` seconds long."""
    return 1 if seconds_per_batch >= LONG_RUN else TIMED_RUNS


def _agrees(output: Tensor, reference: Tensor) -> bool:
    """``|output − reference| ≤ SCORE_TOLERANCE · (1 + |reference|)`` everywhere (outputs of the same shape)."""
    output = output.float()
    return output.shape == reference.shape and torch.allclose(
        output, reference, rtol=SCORE_TOLERANCE, atol=SCORE_TOLERANCE
    )


def _timer(runners: dict[str, Runner], sample: Tensor) -> Callable[[str, int], tuple[float, float]]:
    """``measure(path, size)`` for the search: the least seconds per image over :func:`timed_runs` runs of
    ``sample[:size]``, and the wall seconds spent. No warm-up: the agreement check already ran every path once."""

    def measure(path: str, size: int) -> tuple[float, float]:
        started = time.perf_counter()
        seconds = [_run_once(runners[path], sample[:size])]
        while len(seconds) < timed_runs(min(seconds)):
            seconds.append(_run_once(runners[path], sample[:size]))
        return min(seconds) / size, time.perf_counter() - started

    return measure


def _run_once(runner: Runner, batch: Tensor) -> float:
    started = time.perf_counter()
    runner(batch)
    if batch.device.type == "cuda":
        torch.cuda.synchronize(batch.device)
    return time.perf_counter() - started


_SCORERS: weakref.WeakKeyDictionary[Backbone, Scorer] = weakref.WeakKeyDictionary()
_SCORERS_LOCK = threading.Lock()


def scorer_for(backbone: Backbone) -> Scorer:
    """The backbone's :class:`Scorer` (one per backbone object, with its measured plans)."""
    with _SCORERS_LOCK:
        if backbone not in _SCORERS:
            _SCORERS[backbone] = Scorer(backbone)
        return _SCORERS[backbone]
