"""Turning a session's Explanation into what the page shows: overlays with captions, the compare slider,
the reference labels, the Learn tab's method table, and the Download zip."""

from __future__ import annotations

import math
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from cam_methods import METHODS
from cam_methods.export import zip_outputs
from cam_methods.render import DIVERGING_COLORMAP, overlay

from .choices import method_label
from .session import Session, Tile, explanations, tiles

MAX_COLUMNS = 4
PREVIEW_DIR = Path(tempfile.gettempdir()) / "camstudio-previews"
PREVIEW_SECONDS = 3600


def display_colormap(cmap: str, signed: bool) -> str:
    """Raw (signed) maps are drawn with the diverging colormap so that zero sits at mid-scale."""
    return DIVERGING_COLORMAP if signed else cmap


def tile_label(tile: Tile) -> str:
    """``"Grad-CAM"``, or ``"“a cat” · Grad-CAM"`` for a prompt's map."""
    name = method_label(tile.method_id)
    return name if tile.prompt is None else f"“{tile.prompt}” · {name}"


def caption(tile: Tile) -> str:
    """``"Grad-CAM · 1.2 ms"``, then ``" · del 0.12↓ · ins 0.56↑ · RD@5% 0.08↑"`` once the map is scored
    (a slider move makes new Finer maps, which show no numbers until "Score faithfulness" is pressed again)."""
    text = f"{tile_label(tile)} · {tile.explanation.timings[tile.method_id] * 1000:.1f} ms"
    scores = tile.explanation.cached_metrics(tile.method_id)
    if scores is None:
        return text
    return (
        f"{text} · del {scores.deletion_auc:.3f}↓ · ins {scores.insertion_auc:.3f}↑ · RD@5% {scores.relative_drop:.3f}↑"
    )


def overlay_path(session: Session, tile: Tile, cmap: str, opacity: float, signed: bool) -> Path:
    """The overlay PNG for one map, rendered once per (map, display options) and reused after that.

    Finer maps depend on γ, so γ is part of their key; the other maps keep their files (and so their URLs)
    while the slider moves.
    """
    explanation = tile.explanation
    key = (session.run_number, tile.key, cmap, round(opacity, 3), signed, explanation.gamma_of(tile.method_id))

    def draw() -> Image.Image:
        heatmap = explanation.to_image(tile.method_id, signed=signed)
        return overlay(explanation.picture, heatmap, display_colormap(cmap, signed), opacity, signed)

    return rendered_file(session, key, tile.method_id, draw)


def preview_file(image: Image.Image) -> str:
    """The validated upload as a PNG of its own (random name) for the preview; previews older than an hour
    are deleted on the way.

    Every picture computed per request is returned as a file path, not as a PIL image: Gradio writes a PIL output
    to a path named after its content, without an atomic rename, so two sessions showing the same picture
    could rewrite that file while it is being served (the load test caught truncated downloads).
    """
    PREVIEW_DIR.mkdir(exist_ok=True)
    expired = time.time() - PREVIEW_SECONDS
    for old in PREVIEW_DIR.glob("*.png"):
        if old.stat().st_mtime < expired:
            old.unlink(missing_ok=True)
    path = PREVIEW_DIR / f"{uuid.uuid4().hex}.png"
    image.save(path, compress_level=1)
    return str(path)


def new_file(session: Session, stem: str) -> Path:
    """A fresh PNG path in the session's folder.

    Gradio caches served files by content hash + file name: a name unique to the session keeps two sessions
    that draw the same picture from writing the same cache file while it is being served, and the random
    part keeps two display events of one session (slider and colormap) apart.
    """
    return session.workdir / f"{session.workdir.name}-run{session.run_number}-{uuid.uuid4().hex[:8]}-{stem}.png"


def rendered_file(session: Session, key: tuple, stem: str, draw: Callable[[], Image.Image]) -> Path:
    """The PNG drawn for ``key`` in this session: ``draw()`` is called and saved only the first time."""
    if key not in session.rendered:
        path = new_file(session, stem)
        draw().save(path, compress_level=1)
        session.rendered[key] = path
    return session.rendered[key]


def fgvis_input_path(session: Session, tile: Tile) -> Path:
    """FGVis's explanation image ``e = x ⊙ m + (1 − m) ⊙ b``, what the model sees (224 px), drawn once per run."""
    key = (session.run_number, tile.key, "explanation image")
    return rendered_file(session, key, "fgvis-input", lambda: Image.fromarray(tile.explanation.fgvis_image()))


def gallery(session: Session | None, cmap: str, opacity: float, signed: bool) -> list[tuple[str, str]]:
    """(overlay file, caption) for every map of the current run, in the order requested (prompt by prompt);
    FGVis's mask is followed by its explanation image, since that is what the model sees."""
    items = []
    for tile in tiles(session):
        items.append((str(overlay_path(session, tile, cmap, opacity, signed)), caption(tile)))
        if tile.method_id == "fgvis":
            items.append((str(fgvis_input_path(session, tile)), f"{tile_label(tile)} · what the model sees: x ⊙ m"))
    return items


def gallery_columns(session: Session | None) -> int:
    """Columns for the methods of one run: at most ``MAX_COLUMNS`` per row, rows filled evenly (6 maps: 2 rows
    of 3). With up to 4 methods each CLIP prompt is one row; captions name the prompt in any case."""
    if session is None or session.explanation is None:
        return MAX_COLUMNS
    methods = len(session.explanation.method_ids)
    rows = math.ceil(methods / MAX_COLUMNS)
    return math.ceil(methods / rows)


def tile_choices(session: Session | None) -> list[tuple[str, str]]:
    """(label, key) of every map, for the compare dropdowns."""
    return [(tile_label(tile), tile.key) for tile in tiles(session)]


def compare_pair(
    session: Session | None, first: str | None, second: str | None, cmap: str, opacity: float, signed: bool
) -> tuple[str, str] | None:
    """The files of the two chosen overlays for the before/after slider, or None until both exist."""
    by_key = {tile.key: tile for tile in tiles(session)}
    if first not in by_key or second not in by_key:
        return None
    first_path, second_path = (
        str(overlay_path(session, by_key[key], cmap, opacity, signed)) for key in (first, second)
    )
    return first_path, second_path


def shows_finer(session: Session | None, *keys: str | None) -> bool:
    """Whether any of the tiles ``keys`` is a Finer-CAM map (which a γ change redraws)."""
    return any(tile.explanation.gamma_of(tile.method_id) is not None for tile in tiles(session) if tile.key in keys)


def summary(session: Session | None) -> str:
    """Markdown: target, Finer-CAM references, and the methods skipped on this backbone/layer."""
    if session is None or session.explanation is None:
        return ""
    explanation = session.explanation
    parts = explanations(session)
    targets = "; ".join(f"“{part.target_label}”" if part.per_prompt else part.target_label for part in parts)
    lines = [
        f"**Target:** {targets} · **layer:** `{explanation.layer}` · "
        f"**capture:** {explanation.capture_seconds * 1000:.0f} ms"
    ]
    for part in parts:
        if part.references:
            against = f" for “{part.target_label}”" if part.per_prompt else ""
            lines.append(
                f"**Finer-CAM references{against} (γ = {part.finer_alpha:.2f}):** " + "; ".join(part.reference_labels)
            )
    if session.skipped:
        names = ", ".join(METHODS[method_id].name for method_id in session.skipped)
        lines.append(f"**Skipped** (not applicable on this backbone and layer): {names}")
    return "\n\n".join(lines)


def methods_table() -> str:
    """Markdown table of every registered method: name, family, formula and paper."""
    rows = ["| Method | Family | Formula | Paper |", "|---|---|---|---|"]
    for info in METHODS.values():
        cells = [method_label(info.id), info.family, f"`{info.formula}`", info.paper]
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows)


def export_zip(session: Session | None, cmap: str, opacity: float) -> str:
    """Write the overlays, maps.npz and manifest.json (the CLI's format) into one zip; return its path."""
    if session is None or session.explanation is None:
        raise ValueError("run an explanation first, then download it")
    path = session.workdir / f"camstudio-run{session.run_number}.zip"
    return str(zip_outputs(session.explanation, path, cmap, opacity))
