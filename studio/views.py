"""What the page shows of a session's results: the gallery of overlays, the compare pair, the summary and
the Download zip. Pictures are files of the session (:mod:`.files`), drawn once per (run, map, display
options) and, for Finer maps, per γ."""

from __future__ import annotations

from PIL import Image, ImageEnhance

from cam_methods import METHODS, fgvis_image
from cam_methods.export import scored, zip_outputs
from cam_methods.render import map_overlay

from .coincide import BLANK_REASON, SAME_REASON, groups, is_blank
from .files import jpeg, png
from .session import Session
from .tiles import Tile, caption, tile_label

Display = tuple[str, float, bool]  # colormap, opacity, signed
TILE_SIDE = 640  # pixels, an overlay's longest side: a tile is at most ~330 CSS pixels wide (sharp on a 2× screen)


def overlay_file(session: Session, tile: Tile, display: Display) -> str:
    """The overlay of one map for the session's shown run, drawn once per (map, display options, γ)."""
    cmap, opacity, signed = display

    def draw() -> Image.Image:
        return map_overlay(tile.explanation, tile.method_id, cmap, opacity, signed, max_side=TILE_SIDE)

    key = (session.shown, tile.key, cmap, round(opacity, 3), signed, tile.gamma)
    return str(session.files.path(key, jpeg(draw), "jpg"))


def fgvis_input_file(session: Session, tile: Tile) -> str:
    """FGVis's explanation image ``e = x ⊙ m + (1 − m) ⊙ b``, what the model sees (its input)."""
    key = (session.shown, tile.key, "explanation image")
    return str(session.files.path(key, png(lambda: Image.fromarray(fgvis_image(tile.explanation))), "png"))


def out_of_date_file(session: Session) -> str:
    """The uploaded image, faded: the place of a slow map that a quick re-run did not recompute."""
    picture = session.explanation.picture

    def draw() -> Image.Image:
        return ImageEnhance.Brightness(ImageEnhance.Color(picture).enhance(0)).enhance(1.6)

    return str(session.files.path((session.shown, "out of date"), jpeg(draw), "jpg"))


def gallery(session: Session, tiles: list[Tile], display: Display) -> list[tuple[str, str]]:
    """(overlay file, caption) for every tile; FGVis's mask is followed by its explanation image, since that is
    what the model sees. Slow maps left out by a quick re-run follow, faded and marked out of date."""
    items = []
    for group in groups(tiles):
        tile = group[0]
        items.append((overlay_file(session, tile, display), group_caption(group)))
        if tile.method_id == "fgvis":
            items.append((fgvis_input_file(session, tile), f"{tile_label(tile)} · what the model sees: x ⊙ m"))
    for method_id in session.stale:
        items.append((out_of_date_file(session), f"{METHODS[method_id].name} · out of date — press Explain"))
    return items


def group_caption(group: list[Tile]) -> str:
    """The caption of one tile, or of identical maps shown once: ``"Grad-CAM = HiResCAM · identical · …"``;
    a blank Finer map says why."""
    text = caption(group[0])
    if is_blank(group[0]):
        name, rest = text.split(" · ", 1)
        return f"{name} · blank: {BLANK_REASON} · {rest}"
    if len(group) == 1:
        return text
    names = " = ".join(tile_label(tile) for tile in group)
    return f"{names} · identical maps · {text.split(' · ', 1)[1]}"


def coincidence_lines(tiles: list[Tile]) -> list[str]:
    """One sentence for the maps shown once because they are identical, one for blank Finer maps."""
    same = [" = ".join(tile_label(tile) for tile in group) for group in groups(tiles) if len(group) > 1]
    lines = [f"**Identical maps:** {'; '.join(same)}. {SAME_REASON}"] if same else []
    blank = [tile_label(tile) for tile in tiles if is_blank(tile)]
    if blank:
        lines.append(f"**Blank:** {', '.join(blank)}: {BLANK_REASON}.")
    return lines


def compare_pair(
    session: Session, tiles: list[Tile], first: str | None, second: str | None, display: Display
) -> tuple[str, str] | None:
    """The files of the two chosen overlays for the before/after slider, or None until both exist."""
    by_key = {tile.key: tile for tile in tiles}
    if first not in by_key or second not in by_key:
        return None
    return overlay_file(session, by_key[first], display), overlay_file(session, by_key[second], display)


def summary(session: Session, tiles: list[Tile]) -> str:
    """Markdown: target, layer, Finer-CAM references, skipped methods, or why there are no results."""
    explanation = session.explanation
    if explanation is None:
        return session.note
    parts = list(explanation.per_prompt.values()) or [explanation]
    targets = "; ".join(f"“{part.target_label}”" if part.per_prompt else part.target_label for part in parts)
    lines = progress_lines(session, parts)
    lines += [
        f"**Target:** {targets} · **layer:** `{explanation.layer}` · "
        f"**capture:** {explanation.capture_seconds * 1000:.0f} ms"
    ]
    for part in parts:
        if part.references:
            against = f" for “{part.target_label}”" if part.per_prompt else ""
            lines.append(
                f"**Finer-CAM references{against} (γ = {part.finer_gamma:.2f}):** " + "; ".join(part.reference_labels)
            )
    lines += coincidence_lines(tiles)
    if explanation.skipped:
        names = ", ".join(METHODS[method_id].name for method_id in explanation.skipped)
        lines.append(f"**Skipped** (not applicable on this backbone and layer): {names}")
    return "\n\n".join(lines)


def progress_lines(session: Session, parts: list) -> list[str]:
    """Whether the run was stopped (how many maps it finished) or left slow maps out of date."""
    lines = []
    unfinished = sum(len(part.unfinished) for part in parts)
    if unfinished:
        done = sum(len(part.maps) for part in parts)
        lines.append(f"**Stopped — {done} of {done + unfinished} maps done.** Press Explain to compute the rest.")
    if session.stale:
        names = ", ".join(METHODS[method_id].name for method_id in session.stale)
        lines.append(f"**Out of date:** {names} (slow): press Explain to recompute for this target and layer.")
    return lines


def export_zip(session: Session, display: Display) -> str:
    """The CLI's bundle (overlays, maps, input, grids, scores, manifest) in one zip, kept as one of the run's
    files; keyed by the scored maps too, so that scoring after a download gives a zip with ``scores.csv``."""
    explanation = session.explanation
    if explanation is None:
        raise ValueError(session.note or "run an explanation first, then download it")
    cmap, opacity, _ = display
    key = (session.shown, "zip", cmap, round(opacity, 3), explanation.finer_gamma, tuple(scored(explanation)))
    write = lambda path: zip_outputs(explanation, path, cmap, opacity)  # noqa: E731
    return str(session.files.path(key, write, "zip", name=f"-camstudio-run{session.shown}"))
