"""Command line: ``python -m cam_methods IMAGE --backbone efficientnet_lite0 --methods gradcam hirescam --out DIR``.

Writes one overlay PNG per method, ``maps.npz``, ``grid.png`` and ``manifest.json`` (see
:mod:`cam_methods.export`). Bad input (unknown ids, missing or corrupt files, numbers out of range or NaN,
an output path that is a file or not writable, unavailable weights) prints one line to stderr and exits with
code 2. Like the app, the CLI shrinks the image to :data:`~cam_methods.images.DISPLAY_SIDE` pixels on its
longest side before explaining it, so a 40 MP photo costs what a 1 MP one does.

On a CLIP backbone, ``--prompts "a cat" "a dog"`` are the targets (one folder of files per prompt when there
are several) and ``--compare-prompts`` the Finer-CAM references. ``--layers a b c`` (or ``--layers all``)
sweeps those layers from one capture and adds the per-layer overlays and a methods × layers grid. ``--score``
(with ``--score-steps N``) scores the maps' faithfulness, writes ``scores.csv`` and prints a table
(:mod:`cam_methods.cli_scores`).

``--sanity`` runs the sanity checks instead (:mod:`cam_methods.sanity`): it prints the Spearman ρ, top-15 % IoU
and SSIM of each method's map to the original after each step of the cascading randomisation, and against a
random class, and writes the strip of maps ``sanity.png`` and the curve ``sanity_curve.png``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from model_zoo import BACKBONES, DEFAULT_BACKBONE, Backbone, BackboneUnavailable, load_backbone

from .cli_scores import add_score_options, print_score_table, score_all_targets, score_settings
from .explainer import explain
from .export import write_outputs
from .finer import DEFAULT_GAMMA, DEFAULT_REFERENCES, WEIGHTINGS
from .images import DISPLAY_SIDE, ImageError, load_image
from .registry import METHODS
from .render import COLORMAPS, check_opacity
from .sanity import MEASURE_NAMES, sanity_check
from .sanity_report import similarity_curve, similarity_table, strip_figure

DEFAULT_METHODS = ("gradcam", "hirescam", "finer-gradcam")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m cam_methods", description=__doc__.split("\n")[0])
    parser.add_argument("image", help="path of the image to explain")
    parser.add_argument(
        "--backbone",
        default=DEFAULT_BACKBONE,
        help=f"one of: {', '.join(BACKBONES)}; or any timm/<model id> or hf/<model id> (wrapped by model_zoo.wrap)",
    )
    parser.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS), help=f"ids from: {', '.join(METHODS)}")
    parser.add_argument("--out", default="out", help="output folder (created if missing)")
    parser.add_argument("--target", default=None, help="class index or label name (default: top-1)")
    parser.add_argument("--prompts", nargs="+", default=None, help="CLIP backbones: text prompts to explain")
    parser.add_argument("--compare-prompts", nargs="+", default=None, help="CLIP: Finer-CAM comparison prompts")
    parser.add_argument("--layer", default=None, help="layer to explain (default: the backbone's default)")
    parser.add_argument(
        "--layers",
        nargs="+",
        default=None,
        help='sweep these layers from one capture ("all": every layer the backbone lists); '
        "writes layers/<layer>/<method>.png and layers_grid.png",
    )
    parser.add_argument(
        "--finer-gamma",
        "--finer-alpha",  # the old name, kept for one release
        dest="finer_gamma",
        type=float,
        default=DEFAULT_GAMMA,
        help="Finer-CAM comparison strength γ",
    )
    parser.add_argument("--finer-refs", type=int, default=DEFAULT_REFERENCES, help="number of reference classes")
    parser.add_argument("--finer-weighting", choices=WEIGHTINGS, default="uniform")
    parser.add_argument("--colormap", choices=COLORMAPS, default="jet")
    parser.add_argument("--opacity", type=float, default=0.5)
    parser.add_argument("--weights", default=None, help="local weights file for the backbone (no download)")
    parser.add_argument("--sanity", action="store_true", help="run the sanity checks (cascading randomisation)")
    parser.add_argument("--seed", type=int, default=0, help="--sanity: seed of the re-initialisation and class")
    add_score_options(parser)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        check_opacity(args.opacity)
        out = writable_folder(args.out)
        settings = score_settings(args)
        backbone = load_backbone(args.backbone, weights=args.weights)
        if args.sanity:
            return run_sanity(backbone, args, out)
        result = explain(
            backbone,
            load_image(args.image, max_side=DISPLAY_SIDE),
            args.methods,
            target=class_or_label(args.target),
            layer=args.layer,
            layers="all" if args.layers == ["all"] else args.layers,
            finer_gamma=args.finer_gamma,
            finer_refs=args.finer_refs,
            finer_weighting=args.finer_weighting,
            prompts=args.prompts,
            compare_prompts=args.compare_prompts,
        )
        targets = score_all_targets(result, settings) if settings else []
        files = write_outputs(result, out, args.colormap, args.opacity, settings)
    except (ImageError, BackboneUnavailable, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: could not write to {args.out!r}: {error.strerror or error}", file=sys.stderr)
        return 2
    references = "; ".join(result.reference_labels)
    print(f"target: {result.target_label} (references: {references}); wrote {len(files)} files to {out}")
    for method_id in result.method_ids:
        print(f"  {METHODS[method_id].name:<22} {result.timings[method_id] * 1000:7.2f} ms")
    print(f"  {'shared forward/backward':<22} {result.capture_seconds * 1000:7.2f} ms")
    if settings:
        print_score_table(targets, settings)
    return 0


def run_sanity(backbone: Backbone, args: argparse.Namespace, out: Path) -> int:
    """``--sanity``: print the similarity table, write the strip and the curve; ValueErrors go to ``main``."""
    image = load_image(args.image, max_side=DISPLAY_SIDE)
    started = time.perf_counter()
    check = sanity_check(backbone, image, args.methods, class_or_label(args.target), args.layer, seed=args.seed)
    seconds = time.perf_counter() - started
    strip_figure(check).savefig(out / "sanity.png", dpi=110)
    similarity_curve(check).savefig(out / "sanity_curve.png", dpi=110)
    print(f"target: {check.target_label}; random class: {check.random_label}; seed {check.seed}; {seconds:.1f} s")
    for measure, name in MEASURE_NAMES.items():
        print(f"{name} to the original map, randomising head → input:")
        print(similarity_table(check, measure))
    print(f"wrote sanity.png and sanity_curve.png to {out}")
    return 0


def class_or_label(target: str | None) -> int | str | None:
    """``--target``: a class index when it is written in ASCII digits, else a label name (None: the top-1)."""
    return int(target) if target is not None and target.isascii() and target.isdigit() else target


def writable_folder(out: str) -> Path:
    """The output folder, created if missing; a ValueError when it is a file or cannot be written to."""
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"--out {out!r} is a file, not a folder; choose another path")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"--out {out!r} cannot be created ({error.strerror or error})") from error
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"--out {out!r} is not writable; choose another folder")
    return folder


if __name__ == "__main__":
    sys.exit(main())
