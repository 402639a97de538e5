"""Command line: faithfulness of CAM methods over a whole dataset, and its summary.

    python -m cam_methods.evaluate run IMAGES --out run.parquet [--methods ...] [--engine local|ray]
    python -m cam_methods.evaluate summary run.parquet [--figures DIR]

``IMAGES`` is a folder of images, a folder of class folders (the true classes) or a list file; see
:mod:`.dataset`. Bad input (unknown ids, a missing folder, settings that clash with the run being resumed,
Ray missing for ``--engine ray``) prints one line to stderr and exits with code 2; unreadable images are
listed, counted and skipped.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from model_zoo import BACKBONES, DEFAULT_BACKBONE, BackboneUnavailable

from ..registry import METHODS
from .work import DEFAULT_MEASURES, MEASURES, TARGETS

DEFAULT_METHODS = ("gradcam", "hirescam", "gradcampp", "layercam", "finer-gradcam", "eigencam")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m cam_methods.evaluate", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="evaluate a dataset into a Parquet file (resumes an interrupted run)")
    run.add_argument("images", help="a folder of images, a folder of class folders, or a list file")
    run.add_argument("--out", default="run.parquet", help="the Parquet file to write")
    run.add_argument("--backbone", default=DEFAULT_BACKBONE, help=f"one of: {', '.join(BACKBONES)}, timm/…, hf/…")
    run.add_argument("--weights", default=None, help="local weights file for the backbone")
    run.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS), help=f"ids from: {', '.join(METHODS)}")
    run.add_argument("--layers", nargs="+", default=[], help="layers to explain (default: the default layer)")
    run.add_argument("--measures", nargs="+", default=list(DEFAULT_MEASURES), choices=list(MEASURES))
    run.add_argument("--baselines", action="store_true", help="also score the random and centre-Gaussian maps")
    run.add_argument("--steps", type=int, default=25, help="deletion / insertion steps N")
    run.add_argument("--target", choices=TARGETS, default="predicted", help="explain the top-1 or the true class")
    run.add_argument("--finer-gamma", type=float, default=0.6, help="Finer-CAM comparison strength γ")
    run.add_argument("--limit", type=int, default=None, help="only the first N images (sorted by name)")
    run.add_argument("--engine", choices=("local", "ray"), default="local")
    run.add_argument("--workers", type=int, default=None, help="local: decoding processes (default: cores − 1)")
    run.add_argument("--threads", type=int, default=None, help="local: PyTorch threads (default: one per core)")
    run.add_argument("--actors", type=int, default=2, help="ray: model actors (one backbone each)")
    run.add_argument("--chunk", type=int, default=16, help="images per Parquet part (what an interruption loses)")
    run.add_argument("--fresh", action="store_true", help="discard the parts of an earlier run instead of resuming")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    summary = commands.add_parser("summary", help="per-method table with bootstrap CIs, paired comparisons, figures")
    summary.add_argument("results", help="a Parquet file written by the run command")
    summary.add_argument("--figures", default=None, help="folder for the figures (default: next to the file)")
    summary.add_argument("--resamples", type=int, default=2000, help="bootstrap resamples")
    summary.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.command == "summary":
            from .summary import print_summary

            print_summary(args.results, args.figures, args.resamples, args.seed)
        else:
            from .run import run_from_args

            run_from_args(args)
    except (ValueError, BackboneUnavailable) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ImportError as error:
        print(f"error: {error.name} is not installed: pip install -r requirements-scale.txt", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
