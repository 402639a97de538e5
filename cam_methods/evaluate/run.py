"""A run from start to finish: list the samples, skip those done, run an engine, merge the parts, report."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass

from model_zoo import load_backbone

from .dataset import list_samples
from .progress import RunProgress
from .table import PartStore
from .work import RunSettings


@dataclass(frozen=True)
class RunReport:
    """What a run did: images evaluated now, skipped (unreadable or refused) in total, rows in the file, its
    seconds, and when its first image finished (the start-up: loading the model, starting Ray's actors)."""

    evaluated: int
    skipped: dict[str, str]
    rows: int
    seconds: float
    first_image_seconds: float = 0.0

    @property
    def images_per_second(self) -> float:
        return self.evaluated / self.seconds if self.seconds > 0 else 0.0

    @property
    def steady_images_per_second(self) -> float:
        """Images/s after the first image: the rate a longer run approaches."""
        after_first = self.seconds - self.first_image_seconds
        return (self.evaluated - 1) / after_first if self.evaluated > 1 and after_first > 0 else 0.0


def evaluate(
    images: str | os.PathLike,
    out: str | os.PathLike,
    settings: RunSettings,
    engine: str = "local",
    limit: int | None = None,
    fresh: bool = False,
    show_progress: bool = True,
    **engine_options: int | None,
) -> RunReport:
    """Evaluate the dataset ``images`` into the Parquet file ``out`` with ``engine`` ("local" or "ray").

    ``engine_options``: ``workers`` (local), ``actors`` and ``batch`` (ray), ``chunk`` (both). Images already
    in ``out``'s parts are skipped (a resume); the merged file is rewritten at the end.
    """
    if engine not in ("local", "ray"):
        raise ValueError(f"engine must be 'local' or 'ray', not {engine!r}")
    backbone = load_backbone(settings.backbone, weights=settings.weights)
    for layer in settings.layers:
        backbone.module(layer)  # a ValueError naming the layers
    samples = list_samples(images, backbone.labels, limit)
    store = PartStore(out, settings, fresh)
    done = store.done()
    pending = [sample for sample in samples if sample.key not in done]
    progress = RunProgress(len(samples), len(samples) - len(pending), show_progress)
    try:
        if pending and engine == "ray":
            from .runner_ray import run_ray

            run_ray(settings, pending, store, progress, **engine_options)
        elif pending:
            from .runner_local import run_local

            run_local(settings, pending, store, progress, **engine_options)
    finally:
        progress.close()
    run_info = {"engine": engine, "images": progress.images, "seconds": round(progress.seconds, 3)}
    table, skipped = store.finish(run_info)
    return RunReport(progress.images, skipped, table.num_rows, progress.seconds, progress.first_image_seconds)


def run_from_args(args: argparse.Namespace) -> None:
    settings = RunSettings(
        backbone=args.backbone,
        methods=tuple(args.methods),
        layers=tuple(args.layers),
        measures=tuple(args.measures),
        steps=args.steps,
        target=args.target,
        finer_gamma=args.finer_gamma,
        weights=args.weights,
        baselines=args.baselines,
    )
    if args.engine == "ray":
        options = {"chunk": args.chunk, "actors": args.actors}
    else:
        options = {"chunk": args.chunk, "workers": args.workers, "threads": args.threads}
    report = evaluate(args.images, args.out, settings, args.engine, args.limit, args.fresh, not args.quiet, **options)
    for image, reason in sorted(report.skipped.items()):
        print(f"skipped {image}: {reason}", file=sys.stderr)
    print(
        f"{report.evaluated} images evaluated in {report.seconds:.1f} s ({report.images_per_second:.2f} images/s), "
        f"{len(report.skipped)} skipped; {report.rows} rows in {args.out}"
    )
