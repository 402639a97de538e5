"""Sanity checks for saliency maps (Adebayo et al. 2018, NeurIPS), on any backbone and any methods.

- **Cascading model-parameter randomisation**: on a copy of the backbone, re-initialise the blocks from the
  head down to the input (:mod:`.randomisation`), one block per step, and rebuild every map after each step.
  ``measures[name][method][i]`` compares the map after ``steps[i]`` with the original map (1 at
  ``"original"``); ``similarity`` is ``measures["spearman"]``. A method that explains the model should lose
  its map once the head is random; one whose map survives is showing the image (edges, the object), not the model.
- **Random-logit check** (class sensitivity): the map of a random other class (seeded) against the target's
  map, on the unchanged model. A map that does not change with the class does not explain the class.

Protocol (the paper's, as Quantus's ``MPRT`` runs it on PyTorch models):

- cascading, head first, cumulative; each layer gets its own default initialisation
  (:func:`.randomisation.reinitialise`; a model with folded BatchNorms randomises as the same model unfolded);
  one random draw per block (block i seeded with ``seed + i``): the paper averages over images, not draws;
- the maps compared are the maps as shown: after ReLU, min-max scaled to [0, 1] and bilinearly upsampled to
  the input, as the paper and Quantus compare input-resolution maps (ranks are unchanged by the scaling; the
  upsampling weights pixels by area). The paper's Spearman "with absolute value" equals the plain one here,
  since these maps are ≥ 0;
- the measures (:data:`MEASURES`): Spearman's ρ (ties share their mean rank; NaN for a blank map), IoU of the
  top-15 % pixels (:mod:`.comparison`) and SSIM (:mod:`.structural_similarity`). The paper's fourth, the
  similarity of HOG features, is not computed.

Cost: one ``explain`` run for the original, one for the random class and one per block
(:func:`sanity_cost`); each run is one forward pass and, for the shared-pass methods, one short backward for all
targets (none at a layer that feeds a GAP + linear head).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image

from model_zoo import Backbone, load_backbone

from .comparison import spearman, top_iou
from .explainer import explain
from .explanation import Explanation
from .randomisation import cascade_blocks, randomisable_copy, reinitialise
from .scoring import check_cancel, report
from .structural_similarity import structural_similarity

ORIGINAL = "original"
MEASURES: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "spearman": spearman,
    "top_iou": top_iou,
    "ssim": structural_similarity,
}
MEASURE_NAMES = {"spearman": "Spearman ρ", "top_iou": "top-15 % IoU", "ssim": "SSIM"}


@dataclass(frozen=True)
class SanityCost:
    """What a sanity check will cost: its ``steps`` (``"original"``, then the blocks head → input), the
    number of ``explain`` ``runs`` (one per step plus the random class) and, when one run was timed, the
    estimated ``seconds``."""

    steps: tuple[str, ...]
    runs: int
    seconds: float | None = None


def sanity_cost(backbone: Backbone, seconds_per_run: float | None = None) -> SanityCost:
    """The cost of :func:`sanity_check` on ``backbone``, known before it runs (no model call);
    ``seconds_per_run`` (see :func:`run_seconds`) turns the run count into an estimate in seconds."""
    steps = (ORIGINAL, *(block.name for block in cascade_blocks(backbone.model, backbone.layers)))
    runs = len(steps) + 1
    return SanityCost(steps, runs, None if seconds_per_run is None else runs * seconds_per_run)


def run_seconds(explanation: Explanation, methods: Sequence[str] | None = None) -> float:
    """Seconds one ``explain`` run of ``methods`` (default: all of ``explanation``'s) took: its capture plus
    the time of each map, read from a finished Explanation of the same backbone."""
    chosen = explanation.method_ids if methods is None else [m for m in methods if m in explanation.timings]
    return explanation.capture_seconds + sum(explanation.timings[method_id] for method_id in chosen)


@dataclass(frozen=True)
class SanityCheck:
    """The result of :func:`sanity_check`.

    - ``steps``: ``"original"``, then the randomised blocks in the order they were randomised (head first);
    - ``maps[method][i]``: the H×W map in [0, 1] after ``steps[i]`` (cumulative: every block up to it);
    - ``measures[name][method][i]``: measure ``name`` (a key of :data:`MEASURES`: ``"spearman"``,
      ``"top_iou"``, ``"ssim"``) between that map and the original one; ``similarity[method][i]`` is the
      Spearman ρ (NaN: a constant map);
    - ``target`` / ``target_label``: the class every map explains (the original model's top-1 by default);
    - ``random_class`` / ``random_label``, ``random_maps[method]``, ``random_measures[name][method]`` and
      ``random_similarity[method]``: the random-logit check, each measure (ρ) between the map of
      ``random_class`` and the target's map;
    - ``original``: the Explanation of the unchanged model; ``seed``: what made every random choice.
    """

    steps: tuple[str, ...]
    maps: dict[str, list[np.ndarray]]
    measures: dict[str, dict[str, list[float]]]
    target: int
    target_label: str
    random_class: int
    random_label: str
    random_maps: dict[str, np.ndarray]
    random_measures: dict[str, dict[str, float]]
    original: Explanation
    seed: int

    @property
    def method_ids(self) -> list[str]:
        return list(self.maps)

    @property
    def similarity(self) -> dict[str, list[float]]:
        return self.measures["spearman"]

    @property
    def random_similarity(self) -> dict[str, float]:
        return self.random_measures["spearman"]


def sanity_check(
    backbone: Backbone | str,
    image: Image.Image | str | os.PathLike | torch.Tensor,
    methods: Sequence[str],
    target: int | str | None = None,
    layer: str | None = None,
    seed: int = 0,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    progress: Callable[[float, str], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> SanityCheck:
    """Run both sanity checks of ``methods`` on ``image`` (arguments as for :func:`~cam_methods.explain`;
    ``target`` a class index or label, default the top-1). ``progress(fraction, message)`` is called after
    each run and ``cancel()`` is checked before each one (and inside slow methods): True raises
    :class:`~cam_methods.Cancelled`. The served ``backbone`` is never modified."""
    if isinstance(backbone, str):
        backbone = load_backbone(backbone)
    if not backbone.labels or backbone.family == "clip":
        raise ValueError(f"the sanity checks need a classifier with class labels; {backbone.display_name} is not one")
    cost = sanity_cost(backbone)
    started = time.perf_counter()

    def run(model: Backbone, picture: Any, target_class: int | str | None, done: int, what: str) -> Explanation:
        check_cancel(cancel)
        result = explain(model, picture, methods, target=target_class, layer=layer, options=options, cancel=cancel)
        elapsed = time.perf_counter() - started
        report(progress, (done + 1) / cost.runs, f"{what} ({done + 1}/{cost.runs} runs, {elapsed:.0f} s)")
        return result

    original = run(backbone, image, target, 0, "original maps")
    target_class = int(original.target)
    random_class = random_other_class(len(backbone.labels), target_class, seed)
    randomised = run(backbone, original.input_tensor, random_class, 1, "random-class maps")
    maps = {method_id: [original.maps[method_id]] for method_id in original.method_ids}
    copy = randomisable_copy(backbone)
    for number, block in enumerate(cascade_blocks(copy.model, copy.layers)):
        reinitialise(copy.model, block, seed + number)
        after = run(copy, original.input_tensor, target_class, number + 2, f"randomised up to {block.name}")
        for method_id, series in maps.items():
            series.append(after.maps[method_id])
    return SanityCheck(
        steps=cost.steps,
        maps=maps,
        measures={
            name: {method_id: [measure(series[0], m) for m in series] for method_id, series in maps.items()}
            for name, measure in MEASURES.items()
        },
        target=target_class,
        target_label=original.target_label,
        random_class=random_class,
        random_label=original.label(random_class),
        random_maps=dict(randomised.maps),
        random_measures={
            name: {m: measure(original.maps[m], randomised.maps[m]) for m in original.method_ids}
            for name, measure in MEASURES.items()
        },
        original=original,
        seed=seed,
    )


def random_other_class(classes: int, target: int, seed: int) -> int:
    """A class index in [0, classes) other than ``target``, drawn uniformly with ``seed``."""
    if classes < 2:
        raise ValueError("the random-logit check needs at least two classes")
    drawn = int(np.random.default_rng(seed).integers(classes - 1))
    return drawn + (drawn >= target)
