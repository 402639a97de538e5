"""The papers' claims that ``benchmarks/faithfulness.py`` checks, and their verdicts from paired comparisons.

A claim "A beats B on these measures" is judged at each layer both ran at, over the images both have, from
:func:`cam_methods.evaluate.summary.paired_comparisons`: the share of images on which A is better (a tie counts
½) and the mean gain of A (signed so that positive is better), both with bootstrap 95% intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

from cam_methods.evaluate.statistics import Comparison


@dataclass(frozen=True)
class Claim:
    """A paper's claim: ``method`` beats ``baseline`` on ``measures`` (checked at every layer both ran at)."""

    text: str
    method: str
    baseline: str
    measures: tuple[str, ...]


CLAIMS = (
    Claim(
        "HiResCAM is more faithful than Grad-CAM (seed 000)", "hirescam", "gradcam", ("deletion_auc", "insertion_auc")
    ),
    Claim("Finer-CAM (γ=0.6) drops the target more than Grad-CAM (seed 003)", "finer-gradcam", "gradcam", ("rd",)),
    Claim("Abs-CAM beats Grad-CAM (seed 002)", "abscam", "gradcam", ("deletion_auc", "insertion_auc")),
    Claim("Abs-CAM phase 1 alone beats Grad-CAM", "abscam1", "gradcam", ("deletion_auc", "insertion_auc")),
    *(
        Claim(f"FGVis beats {rival} (seed 001)", "fgvis", rival, ("deletion_auc", "insertion_auc"))
        for rival in ("gradcam", "hirescam", "finer-gradcam", "abscam")
    ),
)


def verdict(result: Comparison) -> str:
    """HOLDS when A is better on average and on more than half the images, DOES NOT HOLD when B is, else MIXED;
    "(interval excludes ½)" when the win share's 95% interval lies on one side of ½."""
    share, gain = result.win_share, result.mean_gain
    if gain.low == gain.high == 0.0:
        return "identical maps: no difference"
    if gain.value > 0 and share.value > 0.5:
        text = "HOLDS"
    elif gain.value < 0 and share.value < 0.5:
        text = "DOES NOT HOLD (the opposite is seen)"
    else:
        text = "MIXED (the mean and the win share do not agree)"
    return text + (" (interval excludes ½)" if share.low > 0.5 or share.high < 0.5 else "")


def verdict_lines(claim: Claim, comparisons: dict[tuple[str, str, str, str], Comparison], layers: list[str]) -> list:
    """One line per layer and measure of ``claim``, from ``comparisons`` keyed (layer, measure, A, B)."""
    lines = []
    for layer in layers:
        for measure in claim.measures:
            result = comparisons.get((layer, measure, claim.method, claim.baseline))
            if result is None or result.win_share.n == 0:
                continue
            share, gain = result.win_share, result.mean_gain
            lines.append(
                f"  {layer:>10} {measure:<14} better on {share.value:.0%} [{share.low:.0%}, {share.high:.0%}] of "
                f"{share.n} images, by {gain.value:+.4f} [{gain.low:+.4f}, {gain.high:+.4f}] on average: "
                f"{verdict(result)}"
            )
    return lines or ["  not run: a method is not registered or not selected"]
