"""The compact method picker: presets, the base methods as one checkbox group, and a second, short group
"+ Finer-CAM of" with one toggle per base method that has a Finer-CAM variant (instead of eight more boxes named
"Finer-…"): ticking Grad-CAM there adds Finer-Grad-CAM, for that base only.

A Finer toggle does not need its base ticked: Finer-Grad-CAM alone is a pick of its own (``explain`` computes
a Finer map without its base's map). So every set of method ids is one pick and back (:func:`as_pick`,
:func:`picked`): a preset or a share link shows on the page exactly as its list of ids.

Explain and its API (``/explain``) still take a list of method ids: a hidden checkbox group holds it, and the
browser computes it from the picker (:data:`PICK_JS`, from the same :func:`pick_order` as :func:`picked`) at
every change, so it is current when Explain is clicked, with no round trip to the server.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from types import SimpleNamespace

import gradio as gr

from cam_methods import METHODS

from .choices import PRESETS, default_methods, method_choices, method_label

PICKER_CSS = Path(__file__).with_name("picker.css")  # small chips: a few short rows, on a phone too


def finer_variants() -> dict[str, str]:
    """{base method id: the id of its Finer-CAM variant}, in the registry's order of the bases."""
    variant_of = {info.base: method_id for method_id, info in METHODS.items() if info.family == "finer" and info.base}
    return {base: variant_of[base] for base in base_methods() if base in variant_of}


def base_methods() -> list[str]:
    """The methods that are not a Finer-CAM variant, in the registry's order."""
    return [method_id for method_id, info in METHODS.items() if info.family != "finer"]


def pick_order() -> list[str]:
    """Every method id, each base followed by its Finer-CAM variant: the order of a pick's list of ids."""
    variants = finer_variants()
    return [method_id for base in base_methods() for method_id in (base, variants.get(base)) if method_id]


def picked(bases: Iterable[str] | None, finer: Iterable[str] | None) -> list[str]:
    """The method ids a pick stands for: the ticked bases and the ticked Finer-CAM variants (values of the
    "+ Finer-CAM of" group are the variants' ids), each variant right after its base."""
    chosen = {*(bases or []), *(finer or [])}
    return [method_id for method_id in pick_order() if method_id in chosen]


def as_pick(method_ids: Iterable[str]) -> tuple[list[str], list[str]]:
    """(ticked bases, ticked Finer-CAM variants) showing exactly ``method_ids`` (a preset, a share link); ids
    that are not methods are left out. ``picked(*as_pick(ids))`` is ``ids`` in :func:`pick_order`."""
    ids = set(method_ids)
    return [m for m in base_methods() if m in ids], [m for m in finer_variants().values() if m in ids]


PICK_JS = f"""(bases, finer) => {{ const order = {json.dumps(pick_order())};
  const chosen = new Set([...(bases || []), ...(finer || [])]);
  return [order.filter(id => chosen.has(id))]; }}"""
"""Browser side of :func:`picked`, from the same :func:`pick_order` (in a list: Gradio reads a returned list as
one value per output)."""


def finer_choices() -> list[tuple[str, str]]:
    """("Grad-CAM", "finer-gradcam") pairs: each toggle is labelled by its base (" · slow" when the variant is
    slow), and its value is the variant's id."""
    slow = {variant: " · slow" if METHODS[variant].slow else "" for variant in finer_variants().values()}
    return [(METHODS[base].name + slow[variant], variant) for base, variant in finer_variants().items()]


def on_preset(name: str) -> tuple[list[str], list[str]]:
    """A preset's pick (the hidden list of ids follows through :data:`PICK_JS`)."""
    return as_pick(PRESETS.get(name, []))


def method_picker() -> SimpleNamespace:
    """The presets, the base methods, the per-base Finer-CAM toggles and the hidden list of ids Explain takes."""
    picker = SimpleNamespace()
    bases, finer = as_pick(default_methods())
    picker.preset = gr.Radio(list(PRESETS), label="Method presets", elem_id="presets")
    picker.bases = gr.CheckboxGroup(
        [(method_label(method_id), method_id) for method_id in base_methods()],
        value=bases,
        label="Methods",
        elem_id="methods",
    )
    picker.finer = gr.CheckboxGroup(
        finer_choices(),
        value=finer,
        label="+ Finer-CAM of (on its own if the method is not ticked above)",
        elem_id="finer_of",
    )
    picker.methods = gr.CheckboxGroup(method_choices(), value=picked(bases, finer), visible=False, elem_id="method_ids")
    picker.preset.input(on_preset, picker.preset, [picker.bases, picker.finer], queue=False, api_visibility="private")
    for control in (picker.bases, picker.finer):
        control.change(None, [picker.bases, picker.finer], picker.methods, js=PICK_JS, queue=False)
    return picker
