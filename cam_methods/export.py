"""Writing an Explanation to disk in one format shared by the CLI and the app's Download button.

Files: ``<method>.png`` (overlay on the uploaded image), ``maps.npz`` (method id → H×W float32 in [0, 1],
aligned with the model input), ``input.png`` (the model's input: the resized, cropped picture the maps are
aligned with), ``grid.png`` and ``grid.pdf`` (all overlays side by side, titled with target, backbone and
layer), ``scores.csv`` (the faithfulness of the maps already scored, and of the baseline maps; absent when none
was) and ``manifest.json`` (versions, parameters, target and reference labels, probabilities, timings, the
agreement matrix); with two maps or more ``agreement.csv`` and ``agreement.png`` (:mod:`.agreement`); for an
across-layers sweep ``layers/<layer>/<method>.png`` and ``layers_grid.png`` (:mod:`.layer_grid`). A CLIP
Explanation of several prompts writes one such set per prompt, in ``prompt1/``, ``prompt2/``, … (in the order
the prompts were given).
"""

from __future__ import annotations

import csv
import json
import platform
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from .agreement import agreement, write_agreement
from .explanation import Explanation
from .explanation_metrics import cached_baselines, cached_faithfulness
from .layer_grid import write_layers
from .map_scores import MEASURES, MapScores
from .registry import METHODS
from .render import grid_figure, overlay

SCORE_COLUMNS = ("method", "deletion_auc", "insertion_auc", "relative_drop", *MEASURES)
PACKAGES = ("torch", "timm", "open_clip_torch", "numpy", "Pillow", "matplotlib", "gradio")
MANIFEST_VERSION = 1


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def manifest(explanation: Explanation, cmap: str, opacity: float) -> dict[str, Any]:
    """Everything needed to reproduce and read the exported maps."""
    return {
        "format": MANIFEST_VERSION,
        "versions": package_versions(),
        "parameters": {
            "backbone": explanation.backbone.name,
            "layer": explanation.layer,
            "methods": explanation.method_ids,
            "finer_gamma": explanation.finer_gamma,
            "finer_refs": len(explanation.references),
            "finer_weighting": explanation.finer_weighting,
            "colormap": cmap,
            "opacity": opacity,
            "input_size": list(explanation.input_size),
        },
        "target": {"key": _jsonable(explanation.target), "label": explanation.target_label},
        "references": [{"key": _jsonable(key), "label": explanation.label(key)} for key in explanation.references],
        "top5": [{"label": label, "probability": prob} for label, prob in explanation.top_k(5)],
        "timings_ms": {
            "capture": explanation.capture_seconds * 1000,
            **{method_id: seconds * 1000 for method_id, seconds in explanation.timings.items()},
        },
        "method_names": {method_id: METHODS[method_id].name for method_id in explanation.method_ids},
        "agreement": agreement(explanation),
        "layers": list(explanation.per_layer),
    }


def write_outputs(explanation: Explanation, out_dir: str | Path, cmap: str = "jet", opacity: float = 0.5) -> list[Path]:
    """Write the overlays, ``maps.npz``, ``input.png``, the grid, ``scores.csv`` and ``manifest.json`` into
    ``out_dir`` (one folder per prompt for several CLIP prompts); return the paths."""
    parts = list(explanation.per_prompt.values())
    if len(parts) < 2:
        return write_one(explanation, Path(out_dir), cmap, opacity)
    return [
        path
        for number, part in enumerate(parts, start=1)
        for path in write_one(part, Path(out_dir) / f"prompt{number}", cmap, opacity)
    ]


def write_one(explanation: Explanation, out: Path, cmap: str, opacity: float) -> list[Path]:
    """The files of one target's maps in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    picture = explanation.picture
    written = []
    original_maps = []
    for method_id in explanation.method_ids:
        original_maps.append(explanation.to_image(method_id))
        path = out / f"{method_id}.png"
        overlay(picture, original_maps[-1], cmap, opacity).save(path)
        written.append(path)
    np.savez_compressed(out / "maps.npz", **explanation.maps)
    Image.fromarray(explanation.backbone.preprocess.denormalise(explanation.input_tensor)).save(out / "input.png")
    grids = write_grid(explanation, original_maps, out, cmap, opacity)
    text = json.dumps(manifest(explanation, cmap, opacity), indent=2, allow_nan=False)  # strict JSON: no NaN
    (out / "manifest.json").write_text(text)
    return [
        *written,
        out / "maps.npz",
        out / "input.png",
        *grids,
        *write_scores(explanation, out),
        *write_agreement(explanation, out),
        *write_layers(explanation, out, cmap, opacity),
        out / "manifest.json",
    ]


def grid_title(explanation: Explanation) -> str:
    """What the grid shows, so that a figure lifted out of the bundle still says it: target, backbone, layer."""
    return f"{explanation.target_label} | {explanation.backbone.name} | layer {explanation.layer}"


def write_grid(
    explanation: Explanation, original_maps: list[np.ndarray], out: Path, cmap: str, opacity: float
) -> list[Path]:
    """``grid.png`` (for screens) and ``grid.pdf`` (vector text, for papers) of one titled figure, cropped to
    its content."""
    titles = [METHODS[method_id].name for method_id in explanation.method_ids]
    title = grid_title(explanation)
    figure = grid_figure(explanation.picture, original_maps, titles, cmap, opacity, title=title)
    paths = [out / "grid.png", out / "grid.pdf"]
    for path in paths:  # the title also as file metadata, for file browsers and reference managers
        figure.savefig(path, dpi=100, bbox_inches="tight", pad_inches=0.05, metadata={"Title": title})
    return paths


def scored(explanation: Explanation) -> dict[str, MapScores]:
    """The maps whose faithfulness is already cached (default settings), in method order, then the baseline
    maps scored with them; no model call."""
    scores = {method_id: cached_faithfulness(explanation, method_id) for method_id in explanation.method_ids}
    found = {method_id: score for method_id, score in scores.items() if score is not None}
    return {**found, **cached_baselines(explanation)} if found else {}


def write_scores(explanation: Explanation, out: Path) -> list[Path]:
    """``scores.csv``, one row per scored map and then per baseline map (full float precision; NaN RD without
    references; ``average_drop`` and ``increase`` are this image's terms, in %), or nothing when no map was
    scored: an absent file says "not scored" where an empty one could be misread."""
    scores = scored(explanation)
    if not scores:
        return []
    path = out / "scores.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(SCORE_COLUMNS)
        for method_id, score in scores.items():
            extra = score.summary()
            values = [score.deletion_auc, score.insertion_auc, score.relative_drop, *(extra[m] for m in MEASURES)]
            writer.writerow([method_id, *map(repr, values)])
    return [path]


def zip_outputs(explanation: Explanation, zip_path: str | Path, cmap: str = "jet", opacity: float = 0.5) -> Path:
    """The same files as :func:`write_outputs`, packed into one zip (the app's Download button); the unzipped
    files are written to a temporary folder, deleted before this returns."""
    zip_path = Path(zip_path)
    with tempfile.TemporaryDirectory(prefix="camstudio-export-") as folder:
        files = write_outputs(explanation, folder, cmap, opacity)
        with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, arcname=path.relative_to(folder))
    return zip_path


def _jsonable(key: Any) -> Any:
    return key if isinstance(key, (int, str)) else str(key)
