"""Text prompts as targets (CLIP): one capture, one set of maps per prompt, Finer-CAM against other prompts.

A prompt p is explained through its score, the scaled cosine similarity between image and text embedding:

    s(p) = logit_scale · cos(f(x), g(p))

Every prompt, and every comparison prompt, is a key of the same capture: ONE image forward pass, then
one backward walk, vectorised over the keys, through the part of the tower after the layer. Finer-CAM explains

    s = s(p) − γ · Σ_t π_t s(q_t)        (π_t = 1/T by default: γ times the mean)

where q are the user's comparison prompts, or, when none are given, the ``finer_refs`` zero-shot class
prompts ("a photo of a {label}") with the highest image–text score, skipping p itself (and the class
prompt of p when p is a label name). The "probability" weighting uses π_t ∝ exp(s(q_t)).

The zero-shot prediction is ``probs = softmax_c(s(class prompt c))`` over the backbone's labels.

Design: ``explain`` returns the first prompt's Explanation; ``.per_prompt[prompt]`` holds one Explanation
per prompt (the first one included). Each per-prompt Evidence is a re-indexing of the one capture: the same
activations tensor, the gradient rows of that prompt and its references.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Sequence
from typing import NamedTuple

import torch

from model_zoo import Backbone

from .capture import Evidence, Targets

Tensor = torch.Tensor


class TargetView(NamedTuple):
    """One target's slice of a capture: ``evidence.keys[0]`` is the target, the rest its Finer references;
    ``probs`` is the prediction shown beside the maps; ``reference_probs`` weight the references."""

    evidence: Evidence
    probs: Tensor
    reference_probs: Tensor


class PromptTargets:
    """A chooser for :func:`~cam_methods.capture.capture` that targets text prompts on a CLIP backbone."""

    def __init__(
        self, backbone: Backbone, prompts: tuple[str, ...], compare_prompts: tuple[str, ...], n_references: int
    ) -> None:
        self.backbone = backbone
        self.scorer = backbone.prompt_scorer
        self.labels = tuple(label.lower() for label in backbone.labels or ())
        self.prompts = prompts
        self.compare_prompts = compare_prompts
        self.n_references = n_references
        self.class_scores: Tensor | None = None
        self.references: dict[str, tuple[str, ...]] = {}

    def __call__(self, output: Tensor) -> Targets:
        """Scores of every prompt and reference from the image embedding ``output`` (1×D, graph attached)."""
        self.class_scores = self.backbone.class_logits(output.detach())[0]
        self.references = {prompt: self._references_of(prompt) for prompt in self.prompts}
        keys = list(dict.fromkeys([*self.prompts, *(q for refs in self.references.values() for q in refs)]))
        return Targets(keys=keys, scores=self.scorer.similarity(output, keys)[0])

    def _references_of(self, prompt: str) -> tuple[str, ...]:
        if self.compare_prompts:
            return tuple(q for q in self.compare_prompts if q != prompt)
        skipped = {prompt}
        if prompt.lower() in self.labels:
            skipped.add(self.scorer.class_prompts[self.labels.index(prompt.lower())])
        nearest: list[str] = []
        for index in torch.argsort(self.class_scores, descending=True).tolist():
            candidate = self.scorer.class_prompts[index]
            if candidate not in skipped and candidate not in nearest:
                nearest.append(candidate)
                if len(nearest) == self.n_references:
                    break
        return tuple(nearest)

    def views(self, evidence: Evidence) -> list[TargetView]:
        """One view per prompt, in the order given, all cut from the same capture."""
        probs = self.class_scores.float().softmax(dim=-1)
        views = []
        for prompt in self.prompts:
            keys = (prompt, *self.references[prompt])
            rows = [evidence.keys.index(key) for key in keys]
            scores = evidence.scores[rows]
            view = dataclasses.replace(evidence, gradients=evidence.gradients[rows], keys=keys, scores=scores)
            views.append(TargetView(view, probs, scores.float().softmax(dim=0)[1:]))
        return views


def prompt_targets(
    backbone: Backbone,
    target: Hashable | None,
    prompts: Sequence[str] | str | None,
    compare_prompts: Sequence[str] | str | None,
    n_references: int,
) -> PromptTargets | None:
    """The prompt chooser for a CLIP request, None for a classifier request; a ValueError for a mismatch."""
    if backbone.family != "clip":
        if prompts or compare_prompts:
            raise ValueError(
                f"{backbone.display_name} is a classifier: text prompts need a CLIP backbone; "
                "choose a class with target= instead"
            )
        return None
    if target is not None:
        raise ValueError(f"{backbone.display_name} is a CLIP model: give the target as prompts=[...], not target=")
    prompts, compare_prompts = _clean(prompts), _clean(compare_prompts)
    if not prompts:
        raise ValueError(
            f"{backbone.display_name} is a CLIP model: give at least one text prompt to explain, "
            "e.g. prompts=['a photo of a cat']"
        )
    return PromptTargets(backbone, prompts, compare_prompts, n_references)


def _clean(prompts: Sequence[str] | str | None) -> tuple[str, ...]:
    if prompts is None:
        return ()
    if isinstance(prompts, str):
        prompts = [prompts]
    if any(not isinstance(prompt, str) or not prompt.strip() for prompt in prompts):
        raise ValueError(f"every prompt must be non-empty text, got {list(prompts)!r}")
    return tuple(dict.fromkeys(prompt.strip() for prompt in prompts))
