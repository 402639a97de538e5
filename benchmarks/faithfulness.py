"""Faithfulness benchmark: do the papers' claims hold on real photos?

For every image, at the default layer and at one earlier layer, every registered method (or ``--methods``)
is explained and scored with deletion AUC (lower is better), insertion AUC and RD@5% (higher is better;
see :mod:`cam_methods.metrics`), ROAD MoRF / LeRF / gap (:mod:`cam_methods.road`) and Average Drop % /
Increase in Confidence (:mod:`cam_methods.confidence_metrics`); the random and centre-Gaussian baseline maps
are scored at the first layer as references. FGVis does not depend on the layer, so it runs at the default layer only.
Per-image results go to a JSONL file keyed by image + layer + method + steps, so a second run resumes.
Prints mean ± std per (layer, method), a paired verdict for each claim, and writes a bar chart.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/faithfulness.py [--fast] [--steps 10] [--publish]

Default images: assets/*.png|jpg, scikit-image (chelsea, coffee, astronaut, rocket, motorcycle),
scikit-learn's sample images and matplotlib's grace_hopper.jpg; a name seen twice is loaded once
(assets/ holds copies of several). ``--images DIR`` uses a folder instead.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cam_methods import (  # noqa: E402
    METHODS,
    MetricSettings,
    applicable_methods,
    cached_baselines,
    explain,
    load_image,
    score_maps,
)
from cam_methods.baseline_maps import BASELINE_NAMES  # noqa: E402
from model_zoo import Backbone, load_backbone  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
METRICS = {
    "deletion_auc": "lower",
    "insertion_auc": "higher",
    "rd": "higher",
    "road_morf": "lower",
    "road_lerf": "higher",
    "road_gap": "higher",
    "average_drop": "lower",
    "increase": "higher",
}
METRIC_TITLES = {
    "deletion_auc": "deletion AUC (lower is better)",
    "insertion_auc": "insertion AUC (higher is better)",
    "rd": "RD@5% (higher is better)",
    "road_morf": "ROAD MoRF (lower is better)",
    "road_lerf": "ROAD LeRF (higher is better)",
    "road_gap": "ROAD gap = LeRF − MoRF (higher is better)",
    "average_drop": "Average Drop % (lower is better)",
    "increase": "Increase in Confidence % (higher is better)",
}
TABLES = (  # (columns, header)
    (("deletion_auc", "insertion_auc", "rd"), "deletion AUC ↓ | insertion AUC ↑ | RD@5% ↑"),
    (
        ("road_morf", "road_lerf", "road_gap", "average_drop", "increase"),
        "ROAD MoRF ↓ | ROAD LeRF ↑ | ROAD gap ↑ | Average Drop % ↓ | Increase in Confidence % ↑",
    ),
)
LAYER_FREE_FAMILY = "optimisation"  # FGVis
PANEL = ("gradcam", "hirescam", "gradcampp", "layercam", "finer-gradcam", "eigencam")


@dataclass(frozen=True)
class Claim:
    """A paper's claim: ``method`` beats ``baseline`` on ``metrics`` (checked at every layer both ran at)."""

    text: str
    method: str
    baseline: str
    metrics: tuple[str, ...]


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


def default_sources() -> dict[str, Callable[[], Image.Image]]:
    """Name → loader for the default photos; assets/ first, then the libraries' copies of other names."""
    import skimage.data
    from matplotlib import cbook
    from sklearn.datasets import load_sample_images

    sources = folder_sources(ROOT / "assets")
    library = {
        "chelsea": lambda: Image.fromarray(skimage.data.chelsea()),
        "coffee": lambda: Image.fromarray(skimage.data.coffee()),
        "astronaut": lambda: Image.fromarray(skimage.data.astronaut()),
        "rocket": lambda: Image.fromarray(skimage.data.rocket()),
        "motorcycle": lambda: Image.fromarray(skimage.data.stereo_motorcycle()[0]),
        "grace_hopper": lambda: load_image(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)),
    }
    samples = load_sample_images()
    for filename, pixels in zip(samples.filenames, samples.images, strict=True):
        library[Path(filename).stem] = lambda pixels=pixels: Image.fromarray(pixels)
    names = {Path(key).stem for key in sources}
    sources.update({f"library:{name}": load for name, load in library.items() if name not in names})
    return sources


def folder_sources(folder: Path) -> dict[str, Callable[[], Image.Image]]:
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    return {str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path): _file_loader(path) for path in paths}


def _file_loader(path: Path) -> Callable[[], Image.Image]:
    return lambda: load_image(path)


class Photos(Dataset):
    """(name, 1×3×H×W input tensor) for each photo, preprocessed by the backbone."""

    def __init__(self, sources: dict[str, Callable[[], Image.Image]], backbone: Backbone) -> None:
        self.names = list(sources)
        self.sources = sources
        self.backbone = backbone

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, index: int) -> tuple[str, torch.Tensor]:
        name = self.names[index]
        tensor, _ = self.backbone.preprocess(load_image(self.sources[name]()))
        return name, tensor


def result_key(row: dict) -> tuple:
    return row["image"], row["layer"], row["method"], row["steps"]


def load_results(path: Path) -> dict[tuple, dict]:
    """The rows of earlier runs that hold every measure (older rows, without ROAD or Average Drop, are redone)."""
    if not path.exists():
        return {}
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {result_key(row): row for row in rows if all(metric in row for metric in METRICS)}


def run(args: argparse.Namespace, backbone: Backbone, layers: list[str], methods: list[str], log: Path) -> None:
    """Explain and score every pending (image, layer, method), appending each image's rows to ``log``."""
    done = load_results(log)
    settings = MetricSettings(steps=args.steps)
    sources = folder_sources(Path(args.images)) if args.images else default_sources()
    loader = DataLoader(Photos(sources, backbone), batch_size=None, num_workers=0)
    with log.open("a") as out, tqdm(total=len(sources) * len(layers), desc="image × layer", unit="map set") as bar:
        for name, x in loader:
            for layer in layers:
                pending = [
                    m for m in layer_methods(backbone, layer, methods) if (name, layer, m, args.steps) not in done
                ]
                baselines = layer == layers[0] and any((name, layer, b, args.steps) not in done for b in BASELINE_NAMES)
                if pending or baselines:
                    bar.set_postfix_str(f"{name} @ {layer}: {len(pending)} maps")
                    result = explain(backbone, x, pending or methods[:1], layer=layer, finer_gamma=args.gamma)
                    scores = score_maps(result, pending, settings, args.batch_size, baselines=baselines)
                    if baselines:
                        scores.update(cached_baselines(result, settings))
                    for method_id, metrics in scores.items():
                        row = {"image": name, "layer": layer, "method": method_id, "steps": args.steps}
                        row.update(metrics.summary(), target=result.target_label, reference=result.reference_labels[0])
                        out.write(json.dumps(row) + "\n")
                    out.flush()
                bar.update(1)


def layer_methods(backbone: Backbone, layer: str, methods: list[str]) -> list[str]:
    """The selected methods that apply at ``layer``; FGVis (which does not use the layer: it optimises a
    pixel mask) only at the default layer."""
    usable = set(applicable_methods(backbone, layer))
    at_default = layer == backbone.default_layer
    return [m for m in methods if m in usable and (at_default or METHODS[m].family != LAYER_FREE_FAMILY)]


def by_method(rows: list[dict]) -> dict[tuple[str, str], dict[str, dict[str, float]]]:
    """(layer, method) → image → metric values."""
    table: dict[tuple[str, str], dict[str, dict[str, float]]] = {}
    for row in rows:
        table.setdefault((row["layer"], row["method"]), {})[row["image"]] = {m: row[m] for m in METRICS}
    return table


def mean_std(values: list[float]) -> tuple[float, float]:
    array = np.asarray(values, dtype=float)
    return float(array.mean()), float(array.std(ddof=1)) if len(array) > 1 else 0.0


def print_table(table: dict, layers: list[str], methods: list[str]) -> None:
    """Two Markdown tables (the RISE / Finer measures, then ROAD and Average Drop / Increase): mean ± std over
    images; the Increase in Confidence is a share of images (%), printed without a std."""
    for columns, header in TABLES:
        rule = "|---" * (len(columns) + 3)
        print(f"\n| layer | method | n | {header} |\n{rule}|")
        for layer in layers:
            for method_id in methods:
                per_image = table.get((layer, method_id))
                if not per_image:
                    continue
                stats = [mean_std([v[m] for v in per_image.values()]) for m in columns]
                digits = [1 if m in ("average_drop", "increase") else 3 for m in columns]
                cells = [
                    f"{mean:.{d}f}" if m == "increase" else f"{mean:.{d}f} ± {std:.{d}f}"
                    for m, d, (mean, std) in zip(columns, digits, stats, strict=True)
                ]
                print(f"| {layer} | {method_id} | {len(per_image)} | " + " | ".join(cells) + " |")


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact binomial sign test p-value (ties dropped)."""
    n = wins + losses
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(wins, losses) + 1)) / 2**n
    return min(1.0, 2 * tail)


def judge(claim: Claim, table: dict, layers: list[str]) -> list[str]:
    """One verdict line per layer and metric: paired differences over the images both methods ran on."""
    lines = []
    for layer in layers:
        ours, theirs = table.get((layer, claim.method)), table.get((layer, claim.baseline))
        if not ours or not theirs:
            continue
        images = sorted(set(ours) & set(theirs))
        for metric in claim.metrics:
            sign = -1.0 if METRICS[metric] == "lower" else 1.0
            gains = np.array([sign * (ours[i][metric] - theirs[i][metric]) for i in images])
            wins, losses = int((gains > 1e-9).sum()), int((gains < -1e-9).sum())
            if wins == losses == 0:
                verdict = "identical maps: no difference"
            elif gains.mean() > 0 and wins > losses:
                verdict = "HOLDS"
            elif gains.mean() < 0 and losses > wins:
                verdict = "DOES NOT HOLD (the opposite is seen)"
            else:
                verdict = "MIXED (the mean and the win count do not agree)"
            lines.append(
                f"  {layer:>10} {metric:<14} better by {gains.mean():+.4f} on average; better on {wins}/"
                f"{len(images)}, worse on {losses} (sign test p={sign_test(wins, losses):.2f}): {verdict}"
            )
    return lines or ["  not run: a method is not registered or not selected"]


def plot(table: dict, layers: list[str], methods: list[str], path: Path) -> None:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(max(8, 0.7 * len(methods)), 2.6 * len(METRICS)), layout="constrained")
    axes = figure.subplots(len(METRICS), 1, sharex=True)
    width = 0.8 / len(layers)
    for axis, metric in zip(axes, METRICS, strict=True):
        for offset, layer in enumerate(layers):
            stats = [
                mean_std([v[metric] for v in table[(layer, m)].values()]) if (layer, m) in table else (np.nan, 0.0)
                for m in methods
            ]
            positions = np.arange(len(methods)) + (offset - (len(layers) - 1) / 2) * width
            means, stds = zip(*stats, strict=True)
            axis.bar(positions, means, width, yerr=stds, capsize=2, label=f"layer {layer}")
        axis.set_title(METRIC_TITLES[metric])
        axis.grid(axis="y", alpha=0.3)
    axes[0].legend()
    axes[-1].set_xticks(np.arange(len(methods)), methods, rotation=45, ha="right")
    figure.savefig(path, dpi=110)


def panel_cost(backbone: Backbone, step_options: list[int], rounds: int) -> None:
    """Median seconds of one forward pass, ``explain`` of a 6-map panel, and its ``score_maps`` at each N,
    interleaved round by round on chelsea (a fresh Explanation each time, so nothing is cached)."""
    x, _ = backbone.preprocess(load_image(ROOT / "assets" / "chelsea.png"))
    timings: dict[str, list[float]] = {}

    def timed(name: str, call: Callable[[], object]) -> object:
        started = time.perf_counter()
        value = call()
        timings.setdefault(name, []).append(time.perf_counter() - started)
        return value

    for _ in range(rounds):
        with torch.inference_mode():
            timed("forward", lambda: backbone.model(x))
        timed("explain (6 maps)", lambda: explain(backbone, x, PANEL))
        for steps in step_options:
            result = explain(backbone, x, PANEL)
            timed(f"score_maps, N={steps}", lambda r=result, n=steps: score_maps(r, settings=MetricSettings(n)))
    base = float(np.median(timings["explain (6 maps)"]))
    print(f"\n6-map panel {', '.join(PANEL)} on {backbone.display_name}, median of {rounds} interleaved rounds")
    for name, values in timings.items():
        median = float(np.median(values))
        print(f"{name:>22}: {median:7.2f} s  ({median / base:6.1f}× explain)")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="efficientnet_lite0")
    parser.add_argument("--layers", nargs="+", help="default: the default layer and the layer two before it")
    parser.add_argument("--methods", nargs="+", help="method ids (default: every registered method)")
    parser.add_argument("--fast", action="store_true", help="skip slow methods (Score-CAM, Abs-CAM, FGVis)")
    parser.add_argument("--images", help="a folder of .png/.jpg photos instead of the default set")
    parser.add_argument("--steps", type=int, default=10, help="deletion / insertion steps N")
    parser.add_argument("--gamma", type=float, default=0.6, help="Finer-CAM comparison strength")
    parser.add_argument("--batch-size", type=int, default=None, help="default: 2 on a CPU, 32 on a GPU")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out"))
    parser.add_argument("--fresh", action="store_true", help="ignore earlier results instead of resuming")
    parser.add_argument("--panel-cost", type=int, nargs="*", metavar="N", help="time a 6-map panel's metrics")
    parser.add_argument("--rounds", type=int, default=2, help="rounds for --panel-cost")
    parser.add_argument("--publish", action="store_true", help="also copy the chart to docs/faithfulness.png")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    started = time.perf_counter()
    backbone = load_backbone(args.backbone)
    index = list(backbone.layers).index(backbone.default_layer)
    if args.panel_cost is not None:
        panel_cost(backbone, args.panel_cost or [12, 25, 50], args.rounds)
        return
    layers = args.layers or [backbone.default_layer, backbone.layers[max(index - 2, 0)]]
    unknown = [m for m in args.methods or [] if m not in METHODS]
    if unknown:
        raise SystemExit(f"unknown method(s) {', '.join(unknown)}; registered: {', '.join(METHODS)}")
    methods = [m for m in (args.methods or METHODS) if not (args.fast and METHODS[m].slow)]
    shown = [*methods, *BASELINE_NAMES]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log = out / f"faithfulness_{backbone.name}.jsonl"
    if args.fresh:
        log.unlink(missing_ok=True)
    run(args, backbone, layers, methods, log)

    rows = [
        row
        for row in load_results(log).values()
        if row["steps"] == args.steps and row["layer"] in layers and row["method"] in shown
    ]
    table = by_method(rows)
    print(
        f"\n{backbone.display_name}, N = {args.steps} steps, RD fraction 5%, γ = {args.gamma}; mean ± std over images"
    )
    print_table(table, layers, shown)
    print("\nClaims (paired over images; 'better' means lower deletion AUC, higher insertion AUC / RD):")
    for claim in CLAIMS:
        print(f"- {claim.text}: {claim.method} vs {claim.baseline}")
        print("\n".join(judge(claim, table, layers)))
    chart = out / "faithfulness.png"
    plot(table, layers, [m for m in shown if any((layer, m) in table for layer in layers)], chart)
    if args.publish:
        shutil.copyfile(chart, ROOT / "docs" / "faithfulness.png")
    print(f"\nchart: {chart}; results: {log}; wall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
