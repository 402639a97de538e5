"""The summary's figures: per-method means with their intervals, and the paired win shares."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .statistics import Comparison, Estimate

TITLES = {
    "deletion_auc": "deletion AUC (lower is better)",
    "insertion_auc": "insertion AUC (higher is better)",
    "rd": "RD@5% (higher is better)",
    "road_morf": "ROAD MoRF (lower is better)",
    "road_lerf": "ROAD LeRF (higher is better)",
    "road_gap": "ROAD gap = LeRF − MoRF (higher is better)",
    "average_drop": "Average Drop % (lower is better)",
    "increase": "Increase in Confidence % (higher is better)",
}


def plot_means(means: dict[tuple[str, str, str], Estimate], path: Path) -> Path:
    """One panel per measure: a bar per method (grouped by layer), whiskers at the 95% interval."""
    from matplotlib.figure import Figure

    layers = list(dict.fromkeys(layer for layer, _, _ in means))
    methods = list(dict.fromkeys(method for _, method, _ in means))
    measures = list(dict.fromkeys(measure for _, _, measure in means))
    figure = Figure(figsize=(max(6, 0.45 * len(methods) * len(layers) + 2), 3 * len(measures)), layout="constrained")
    axes = np.atleast_1d(figure.subplots(len(measures), 1, sharex=True))
    width = 0.8 / len(layers)
    for axis, measure in zip(axes, measures, strict=True):
        for offset, layer in enumerate(layers):
            cells = [means.get((layer, method, measure), Estimate(np.nan, np.nan, np.nan, 0)) for method in methods]
            values = np.array([cell.value for cell in cells])
            errors = np.array([[cell.value - cell.low for cell in cells], [cell.high - cell.value for cell in cells]])
            positions = np.arange(len(methods)) + (offset - (len(layers) - 1) / 2) * width
            axis.bar(positions, values, width, yerr=errors, capsize=3, label=f"layer {layer}")
        axis.set_title(TITLES[measure])
        axis.grid(axis="y", alpha=0.3)
    axes[0].legend()
    axes[-1].set_xticks(np.arange(len(methods)), methods, rotation=30, ha="right")
    figure.savefig(path, dpi=110)
    return path


def plot_win_shares(comparisons: dict[tuple[str, str, str, str], Comparison], path: Path) -> Path:
    """One heat map per (layer, measure): cell (A, B) is the share of images where A beats B (needs at least
    one comparison)."""
    from matplotlib.figure import Figure

    panels = list(dict.fromkeys((layer, measure) for layer, measure, _, _ in comparisons))
    methods = list(dict.fromkeys(m for _, _, first, second in comparisons for m in (first, second)))
    figure = Figure(figsize=(4.2 * len(panels), 4), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, len(panels)))
    for axis, (layer, measure) in zip(axes, panels, strict=True):
        shares = np.full((len(methods), len(methods)), np.nan)
        for (at, kind, first, second), result in comparisons.items():
            if (at, kind) == (layer, measure):
                row, column = methods.index(first), methods.index(second)
                shares[row, column] = result.win_share.value
                shares[column, row] = 1 - result.win_share.value
        image = axis.imshow(shares, vmin=0, vmax=1, cmap="RdBu")
        axis.set_xticks(range(len(methods)), methods, rotation=45, ha="right")
        axis.set_yticks(range(len(methods)), methods)
        axis.set_title(f"{TITLES[measure].split(' (')[0]}, layer {layer}\nrow beats column on this share", fontsize=9)
    figure.colorbar(image, ax=list(axes), shrink=0.8)
    figure.savefig(path, dpi=110)
    return path
