"""``python -m cam_methods.evaluate summary run.parquet``: what a finished run says, with its uncertainty.

Prints (Markdown tables) the backbone's accuracy when the images have true classes, each (layer, method,
measure)'s mean with a bootstrap 95% interval, and for each pair of methods at each layer and measure the
share of images on which the first is better (ties count half) and the mean gain, both with intervals
(:mod:`.statistics`); then writes the figures (:mod:`.figures`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ..baseline_maps import BASELINE_NAMES
from .figures import plot_means, plot_win_shares
from .statistics import Comparison, Estimate, bootstrap_mean, compare_paired
from .table import read_results
from .work import MEASURES, RunSettings

TITLES = {
    "deletion_auc": "deletion AUC ↓",
    "insertion_auc": "insertion AUC ↑",
    "rd": "RD@5% ↑",
    "road_morf": "ROAD MoRF ↓",
    "road_lerf": "ROAD LeRF ↑",
    "road_gap": "ROAD gap ↑",
    "average_drop": "Average Drop % ↓",
    "increase": "Increase in Confidence % ↑",
}


def method_means(frame: pd.DataFrame, resamples: int, seed: int) -> dict[tuple[str, str, str], Estimate]:
    """(layer, method, measure) → mean over images with its interval."""
    return {
        key: bootstrap_mean(group["value"].to_numpy(), resamples, seed)
        for key, group in frame.groupby(["layer", "method", "measure"], sort=False, observed=True)
    }


def paired_comparisons(
    frame: pd.DataFrame, resamples: int, seed: int, pairs: Sequence[tuple[str, str]] | None = None
) -> dict[tuple[str, str, str, str], Comparison]:
    """(layer, measure, A, B) → A against B over the images both have, for each of ``pairs`` (default: every
    pair in run order) that both ran at that layer."""
    results = {}
    for (layer, measure), group in frame.groupby(["layer", "measure"], sort=False, observed=True):
        wide = group.pivot(index="image", columns="method", values="value")  # noqa: PD010
        present = list(dict.fromkeys(group["method"].astype(str)))
        wanted = itertools.combinations(present, 2) if pairs is None else pairs
        for first, second in [(a, b) for a, b in wanted if a in present and b in present]:
            both = wide[[first, second]].dropna()
            lower = MEASURES[measure] == "lower"
            results[layer, measure, first, second] = compare_paired(
                both[first].to_numpy(), both[second].to_numpy(), lower, resamples, seed
            )
    return results


def accuracy(frame: pd.DataFrame, resamples: int, seed: int) -> Estimate | None:
    """Top-1 accuracy over the images with a true class, or None when none has one."""
    images = frame.drop_duplicates("image")
    labelled = images[images["true_class"] >= 0]
    if labelled.empty:
        return None
    return bootstrap_mean((labelled["predicted"] == labelled["true_class"]).to_numpy(float), resamples, seed)


def results_frame(path: str | Path) -> tuple[pd.DataFrame, RunSettings, dict[str, str], dict]:
    """A finished run as (rows, settings, skipped images, run info); the rows ordered by layer (the run's
    order), method (the run's, then the baselines) and measure (:data:`.work.MEASURES`' order)."""
    table, settings, skipped, run = read_results(path)
    frame = table.to_pandas()
    if frame.empty:
        raise ValueError(f"{str(path)!r} holds no results (skipped images: {len(skipped)})")
    orders = {
        "layer": [*settings.layers, *sorted(set(frame["layer"]) - set(settings.layers))],
        "method": [*settings.methods, *BASELINE_NAMES],
        "measure": list(MEASURES),
    }
    for column, order in orders.items():
        frame[column] = pd.Categorical(frame[column], [value for value in order if value in set(frame[column])])
    return frame.sort_values(list(orders)), settings, skipped, run


def print_summary(path: str, figures: str | None = None, resamples: int = 2000, seed: int = 0) -> list[Path]:
    """Print the tables of the run in ``path`` and write its figures; returns the figures' paths."""
    frame, settings, skipped, run = results_frame(path)
    images = frame["image"].nunique()
    print(f"{settings.backbone}, {images} images ({len(skipped)} skipped), N = {settings.steps} steps, "
          f"target: {settings.target}; {run.get('engine')} engine; 95% bootstrap intervals, {resamples} resamples, "
          f"seed {seed}")  # fmt: skip
    top1 = accuracy(frame, resamples, seed)
    if top1 is not None:
        print(f"\ntop-1 accuracy on the {top1.n} images with a true class: {top1}")
    means = method_means(frame, resamples, seed)
    _print_means(means, list(frame["measure"].cat.categories))
    comparisons = paired_comparisons(frame, resamples, seed)
    _print_comparisons(comparisons)
    folder = Path(figures) if figures else Path(path).parent
    folder.mkdir(parents=True, exist_ok=True)
    stem = Path(path).stem
    written = [plot_means(means, folder / f"{stem}_means.png")]
    if comparisons:
        written.append(plot_win_shares(comparisons, folder / f"{stem}_wins.png"))
    print(f"\nfigures: {', '.join(map(str, written))}")
    return written


def _print_means(means: dict[tuple[str, str, str], Estimate], measures: list[str]) -> None:
    print("\n| layer | method | n | " + " | ".join(TITLES[m] for m in measures) + " |")
    print("|---|---|---|" + "---|" * len(measures))
    for layer, method in dict.fromkeys((layer, method) for layer, method, _ in means):
        cells = [means.get((layer, method, measure)) for measure in measures]
        n = max(cell.n for cell in cells if cell is not None)
        print(f"| {layer} | {method} | {n} | " + " | ".join(str(cell or "") for cell in cells) + " |")


def _print_comparisons(comparisons: dict[tuple[str, str, str, str], Comparison]) -> None:
    if not comparisons:
        return
    print("\nPaired: A better than B on this share of images (a tie counts ½; (A) or (B): its interval excludes ½),")
    print("and by this much on average")
    print("| layer | measure | A vs B | n | A better on | mean gain of A |\n|---|---|---|---|---|---|")
    for (layer, measure, first, second), result in comparisons.items():
        share, gain = result.win_share, result.mean_gain
        verdict = " (A)" if share.low > 0.5 else " (B)" if share.high < 0.5 else ""
        print(
            f"| {layer} | {TITLES[measure]} | {first} vs {second} | {share.n} | "
            f"{share.value:.0%} [{share.low:.0%}, {share.high:.0%}]{verdict} | {gain} |"
        )
