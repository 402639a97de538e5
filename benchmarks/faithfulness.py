"""Faithfulness benchmark: do the papers' claims hold on real photos? A thin call of the dataset runner.

It gathers the photos below into a folder and evaluates it with the runner of ``python -m cam_methods.evaluate``
(:func:`cam_methods.evaluate.run.evaluate`, local engine): every registered method (or ``--methods``) at the
default layer and one earlier layer, every measure (deletion / insertion AUC, RD@5%, ROAD MoRF / LeRF / gap,
Average Drop % / Increase in Confidence), and the random and centre-Gaussian baseline maps at the first layer;
FGVis does not depend on the layer, so it runs at the first (the default) layer only. From the run's Parquet
file it prints the README's two tables (per layer and method: the mean over images with its bootstrap 95%
interval, :mod:`cam_methods.evaluate.summary`), one paired verdict per paper's claim (share of images where the
method beats the baseline and mean gain, both with intervals), and writes the runner's figure
(:func:`cam_methods.evaluate.figures.plot_means`). The Parquet file's parts resume an interrupted run.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/faithfulness.py [--fast] [--steps 10] [--limit N] [--publish]

Default images: assets/*.png|jpg, scikit-image (chelsea, coffee, astronaut, rocket, motorcycle),
scikit-learn's sample images and matplotlib's grace_hopper.jpg; a name seen twice is taken once (assets/ holds
copies of several). ``--images DIR`` evaluates a folder instead.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from faithfulness_claims import CLAIMS, verdict_lines  # noqa: E402
from faithfulness_cost import panel_cost  # noqa: E402

from cam_methods import METHODS  # noqa: E402
from cam_methods.evaluate.figures import plot_means  # noqa: E402
from cam_methods.evaluate.run import evaluate  # noqa: E402
from cam_methods.evaluate.summary import method_means, paired_comparisons, results_frame  # noqa: E402
from cam_methods.evaluate.work import MEASURES, RunSettings  # noqa: E402
from model_zoo import load_backbone  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
TABLES = (  # (measures, header)
    (("deletion_auc", "insertion_auc", "rd"), "deletion AUC ↓ | insertion AUC ↑ | RD@5% ↑"),
    (
        ("road_morf", "road_lerf", "road_gap", "average_drop", "increase"),
        "ROAD MoRF ↓ | ROAD LeRF ↑ | ROAD gap ↑ | Average Drop % ↓ | Increase in Confidence % ↑",
    ),
)
PERCENT_MEASURES = ("average_drop", "increase")  # printed with one decimal, the others with three
BASELINE_LAYER_NOTE = "the baselines and FGVis at the first layer only"


def gather_photos(folder: Path) -> Path:
    """``folder`` filled with the default photos: assets/ copied as they are, the libraries' other photos as PNG."""
    import skimage.data
    from matplotlib import cbook
    from PIL import Image
    from sklearn.datasets import load_sample_images

    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted((ROOT / "assets").iterdir()):
        if path.suffix.lower() in IMAGE_SUFFIXES and not (folder / path.name).exists():
            shutil.copyfile(path, folder / path.name)
    library = {
        "chelsea": skimage.data.chelsea,
        "coffee": skimage.data.coffee,
        "astronaut": skimage.data.astronaut,
        "rocket": skimage.data.rocket,
        "motorcycle": lambda: skimage.data.stereo_motorcycle()[0],
        "grace_hopper": lambda: Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)),
    }
    samples = load_sample_images()
    for filename, pixels in zip(samples.filenames, samples.images, strict=True):
        library[Path(filename).stem] = lambda pixels=pixels: pixels
    taken = {path.stem for path in folder.iterdir()}
    for name, load in library.items():
        if name not in taken:
            picture = load()
            (picture if isinstance(picture, Image.Image) else Image.fromarray(picture)).save(folder / f"{name}.png")
    return folder


def print_tables(means: dict, layers: list[str], methods: list[str]) -> None:
    """The two Markdown tables of the README: mean [95% bootstrap interval] over images per (layer, method)."""
    for measures, header in TABLES:
        print(f"\n| layer | method | n | {header} |\n" + "|---" * (len(measures) + 3) + "|")
        for layer in layers:
            for method_id in methods:
                cells = [means.get((layer, method_id, measure)) for measure in measures]
                if not any(cells):
                    continue
                texts = [_cell(cell, measure) for cell, measure in zip(cells, measures, strict=True)]
                n = max(cell.n for cell in cells if cell)
                print(f"| {layer} | {method_id} | {n} | " + " | ".join(texts) + " |")


def _cell(estimate, measure: str) -> str:
    if estimate is None:
        return ""
    digits = 1 if measure in PERCENT_MEASURES else 3
    return f"{estimate.value:.{digits}f} [{estimate.low:.{digits}f}, {estimate.high:.{digits}f}]"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="efficientnet_lite0")
    parser.add_argument("--layers", nargs="+", help="default: the default layer and the layer two before it")
    parser.add_argument("--methods", nargs="+", help="method ids (default: every registered method)")
    parser.add_argument("--fast", action="store_true", help="skip slow methods (Score-CAM, Abs-CAM, FGVis)")
    parser.add_argument("--images", help="a folder of photos (or class folders) instead of the default set")
    parser.add_argument("--limit", type=int, default=None, help="only the first N photos by name (a quick subset)")
    parser.add_argument("--steps", type=int, default=10, help="deletion / insertion steps N")
    parser.add_argument("--gamma", type=float, default=0.6, help="Finer-CAM comparison strength")
    parser.add_argument("--threads", type=int, default=None, help="PyTorch threads (default: one per core)")
    parser.add_argument("--resamples", type=int, default=2000, help="bootstrap resamples")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out"))
    parser.add_argument("--fresh", action="store_true", help="ignore earlier results instead of resuming")
    parser.add_argument("--publish", action="store_true", help="also copy the chart to docs/faithfulness.png")
    parser.add_argument("--panel-cost", type=int, nargs="*", metavar="N", help="only time a 6-map panel's metrics")
    parser.add_argument("--rounds", type=int, default=2, help="rounds for --panel-cost")
    return parser.parse_args()


def run_settings(args: argparse.Namespace) -> RunSettings:
    backbone = load_backbone(args.backbone)
    index = list(backbone.layers).index(backbone.default_layer)
    layers = args.layers or [backbone.default_layer, backbone.layers[max(index - 2, 0)]]
    methods = [m for m in (args.methods or METHODS) if not (args.fast and m in METHODS and METHODS[m].slow)]
    return RunSettings(
        backbone=args.backbone, methods=tuple(methods), layers=tuple(dict.fromkeys(layers)),
        measures=tuple(MEASURES), steps=args.steps, finer_gamma=args.gamma, baselines=True,
    )  # fmt: skip


def main() -> None:
    args = parse_args()
    started = time.perf_counter()
    if args.panel_cost is not None:
        panel_cost(load_backbone(args.backbone), args.panel_cost or [12, 25, 50], args.rounds)
        return
    try:
        settings = run_settings(args)
    except ValueError as error:
        raise SystemExit(f"error: {error}") from error
    out = Path(args.out)
    images = Path(args.images) if args.images else gather_photos(out / "photos")
    results = out / f"faithfulness_{settings.backbone}.parquet"
    report = evaluate(images, results, settings, limit=args.limit, fresh=args.fresh, threads=args.threads)
    frame, _, skipped, _ = results_frame(results)
    means = method_means(frame, args.resamples, seed=0)
    print(
        f"\n{settings.backbone}, {frame['image'].nunique()} images ({len(skipped)} skipped), N = {settings.steps} "
        f"steps, RD fraction 5%, γ = {settings.finer_gamma}; mean [95% bootstrap interval] over images; "
        f"{BASELINE_LAYER_NOTE}"
    )
    layers, methods = list(frame["layer"].cat.categories), list(frame["method"].cat.categories)
    print_tables(means, layers, methods)
    pairs = [(claim.method, claim.baseline) for claim in CLAIMS]
    comparisons = paired_comparisons(frame, args.resamples, seed=0, pairs=pairs)
    print("\nClaims (paired over images; 'better' means lower deletion AUC, higher insertion AUC / RD):")
    for claim in CLAIMS:
        print(f"- {claim.text}: {claim.method} vs {claim.baseline}")
        print("\n".join(verdict_lines(claim, comparisons, layers)))
    chart = plot_means(means, out / "faithfulness.png")
    if args.publish:
        shutil.copyfile(chart, ROOT / "docs" / "faithfulness.png")
    print(
        f"\nchart: {chart}; results: {results} ({report.evaluated} images evaluated now); "
        f"wall time {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
