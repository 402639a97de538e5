"""The tiles of a run: one per map on the page, in page order (a Finer variant right after its base), with
its label and caption.

On CLIP every prompt has a row of maps, so a tile's key is ``"<method id>@<prompt number>"``; elsewhere
it is the method id. Handlers compute the tiles once per event and pass them on.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

from cam_methods import METHODS, Explanation, cached_faithfulness

_DIAGNOSES: dict[int, dict[str, str | None]] = {}  # id of a raw map → {method id: diagnosis}, while it lives
_DIAGNOSES_LOCK = threading.Lock()


@dataclass(frozen=True)
class Tile:
    """One map on the page."""

    key: str
    explanation: Explanation
    method_id: str
    prompt: str | None = None

    @property
    def gamma(self) -> float | None:
        """The Finer-CAM γ this map depends on; None for a map that does not."""
        return self.explanation.gamma_of(self.method_id)


def tiles_of(explanation: Explanation | None) -> list[Tile]:
    """Every map of a run in page order: prompt by prompt (CLIP), method by method."""
    if explanation is None:
        return []
    if not explanation.per_prompt:
        return [Tile(method_id, explanation, method_id) for method_id in page_order(explanation.method_ids)]
    return [
        Tile(f"{method_id}@{number}", part, method_id, prompt)
        for number, (prompt, part) in enumerate(explanation.per_prompt.items(), start=1)
        for method_id in page_order(part.method_ids)
    ]


def page_order(method_ids: list[str]) -> list[str]:
    """The methods in the order chosen, except that a Finer variant comes right after its base when both are
    there, so that the two are compared side by side."""
    chosen = set(method_ids)
    followers = {METHODS[m].base: m for m in method_ids if METHODS[m].family == "finer" and METHODS[m].base in chosen}
    ordered = []
    for method_id in method_ids:
        if method_id in followers.values():
            continue
        ordered.append(method_id)
        if method_id in followers:
            ordered.append(followers[method_id])
    return ordered


def tile_label(tile: Tile) -> str:
    """``"Grad-CAM"``, or ``"“a cat” · Grad-CAM"`` for a prompt's map."""
    name = METHODS[tile.method_id].name
    return name if tile.prompt is None else f"“{tile.prompt}” · {name}"


def caption(tile: Tile) -> str:
    """``"Grad-CAM · 1.2 ms"`` (a Finer variant of a slow method adds ``" · reuses Score-CAM's passes"``: its
    time is only the recombination), then ``" · ⚠ <why>"`` when the map is blank or noise (its diagnosis), then
    ``" · del 0.12↓ · ins 0.56↑ · RD@5% 0.08↑"`` once the map is scored (a slider move makes new Finer maps,
    which show no numbers until "Score faithfulness" is pressed again)."""
    info = METHODS[tile.method_id]
    reuses = f" · reuses {METHODS[info.base].name}'s passes" if info.base and METHODS[info.base].slow else ""
    text = f"{tile_label(tile)}{reuses} · {tile.explanation.timings[tile.method_id] * 1000:.1f} ms"
    why = diagnosis(tile)
    if why:
        text = f"{text} · ⚠ {why}"
    scores = cached_faithfulness(tile.explanation, tile.method_id)
    if scores is None:
        return text
    return (
        f"{text} · del {scores.deletion_auc:.3f}↓ · ins {scores.insertion_auc:.3f}↑ · RD@5% {scores.relative_drop:.3f}↑"
    )


def diagnosis(tile: Tile) -> str | None:
    """The map's diagnosis (:meth:`~cam_methods.Explanation.diagnosis`), computed once per map: a slider move
    makes new Finer maps, and every other map, shared by the new Explanation, keeps its diagnosis (which was
    most of a move's time on the server)."""
    raw = tile.explanation.raw_maps[tile.method_id]
    with _DIAGNOSES_LOCK:
        if id(raw) not in _DIAGNOSES:
            _DIAGNOSES[id(raw)] = {}
            weakref.finalize(raw, _DIAGNOSES.pop, id(raw), None)  # a tensor compares by value, so key by id
        known = _DIAGNOSES[id(raw)]
        if tile.method_id in known:
            return known[tile.method_id]
    why = tile.explanation.diagnosis(tile.method_id)
    with _DIAGNOSES_LOCK:
        known[tile.method_id] = why
    return why


def tile_choices(tiles: list[Tile]) -> list[tuple[str, str]]:
    """(label, key) of every map, for the compare dropdowns."""
    return [(tile_label(tile), tile.key) for tile in tiles]
