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
when ``onnxruntime`` and ``onnx`` are installed). :meth:`Scorer.plan` times each path on the real input shape at
batch sizes 1, 2, 4, … (doubling while the time per image falls, up to ``MAX_CPU_BATCH`` on a CPU and
``MAX_GPU_BATCH`` elsewhere, and while the calibration stays within ``CALIBRATION_BUDGET`` seconds; one
warm-up and ``TIMED_RUNS`` timed batches each, the fastest kept) and keeps the path and size with the least
time per image. A path is a candidate only if its scores on the calibration batch
equal eager's within ``SCORE_TOLERANCE``.

A backbone turns its raw output into per-target scores with ``backbone.score_outputs(output, keys)``: for a
classifier the softmax probabilities of the classes in ``keys`` (B×T); on CLIP the prompts' zero-shot probabilities.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import torch

from model_zoo import Backbone

from .scoring_paths import Runner, candidate_runners, model_device

Tensor = torch.Tensor
SCORE_TOLERANCE = 1e-4
MAX_CPU_BATCH = 16
MAX_GPU_BATCH = 128
TIMED_RUNS = 2
CALIBRATION_BUDGET = 2.0  # seconds; a slow model is timed at fewer sizes
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


@dataclass(frozen=True)
class Plan:
    """The measured choice for one input shape: the path, the batch size and its seconds per image."""

    path: str
    batch_size: int
    seconds_per_image: float
    timings: dict[tuple[str, int], float]


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
        key = (tuple(shape), str(model_device(self.backbone)))
        runners = self.runners()
        with self._lock:
            if self._fixed is not None:
                return self._fixed
            if key not in self._plans:
                self._plans[key] = self._measure(runners, tuple(shape))
            return self._plans[key]

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

        ``shape`` (C×H×W, the inputs') picks the plan; ``batch_size`` overrides its size, not its path."""
        if count == 0:
            return torch.zeros((0, len(keys)))
        plan = self.plan(shape)
        size = batch_size or plan.batch_size
        runner = self.runners()[plan.path]
        chunks = []
        for start in range(0, count, size):
            check_cancel(cancel)
            stop = min(start + size, count)
            with self.backbone.lock:
                chunks.append(self.backbone.score_outputs(runner(build(start, stop)), keys).float().cpu())
            report(progress, stop / count, f"{message} {stop}/{count}")
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
        """Time every path that agrees with eager at doubling batch sizes; the least seconds per image wins."""
        device = model_device(self.backbone)
        limit = MAX_CPU_BATCH if device.type == "cpu" else MAX_GPU_BATCH
        generator = torch.Generator().manual_seed(CALIBRATION_SEED)
        sample = torch.randn((limit, *shape), generator=generator).to(device)
        timings: dict[tuple[str, int], float] = {}
        deadline = time.perf_counter() + CALIBRATION_BUDGET
        with self.backbone.lock:
            reference = runners["eager"](sample[:2]).float()
            for name, runner in runners.items():
                if name != "eager" and not _agrees(runner(sample[:2]).float(), reference):
                    continue
                timings.update(_doubling_timings(name, runner, sample, limit, deadline))
        (path, size), seconds = min(timings.items(), key=lambda item: item[1])
        return Plan(path, size, seconds, timings)


def _agrees(output: Tensor, reference: Tensor) -> bool:
    """``|output − reference| ≤ SCORE_TOLERANCE · (1 + |reference|)`` everywhere (outputs of the same shape)."""
    return output.shape == reference.shape and torch.allclose(
        output, reference, rtol=SCORE_TOLERANCE, atol=SCORE_TOLERANCE
    )


def _doubling_timings(
    name: str, runner: Runner, sample: Tensor, limit: int, deadline: float
) -> dict[tuple[str, int], float]:
    """Seconds per image at batch sizes 1, 2, 4, … while the time per image falls (at most ``limit``), and
    while the next size's estimated cost still ends before ``deadline`` (batch size 1 is always timed)."""
    timings: dict[tuple[str, int], float] = {}
    size, best = 1, float("inf")
    while size <= limit and (size == 1 or time.perf_counter() + (1 + TIMED_RUNS) * size * best < deadline):
        batch = sample[:size]
        runner(batch)  # warm-up: first call at a new shape pays for kernel selection
        seconds = []
        for _ in range(TIMED_RUNS):
            started = time.perf_counter()
            runner(batch)
            _synchronise(batch.device)
            seconds.append(time.perf_counter() - started)
        timings[(name, size)] = min(seconds) / size
        if timings[(name, size)] >= best:
            break
        best, size = timings[(name, size)], size * 2
    return timings


def _synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


_SCORERS: weakref.WeakKeyDictionary[Backbone, Scorer] = weakref.WeakKeyDictionary()
_SCORERS_LOCK = threading.Lock()


def scorer_for(backbone: Backbone) -> Scorer:
    """The backbone's :class:`Scorer` (one per backbone object, with its measured plans)."""
    with _SCORERS_LOCK:
        if backbone not in _SCORERS:
            _SCORERS[backbone] = Scorer(backbone)
        return _SCORERS[backbone]
