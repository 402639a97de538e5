"""The compact method picker: presets, the base methods as one checkbox group, and one "Finer-CAM variants"
toggle that adds the Finer-CAM variant of every ticked base that has one (instead of eight more boxes).

Explain and its API (``/explain``) still take a list of method ids: a hidden checkbox group holds it, and the
browser computes it from the picker (:data:`PICK_JS`) at every change, so it is current when Explain is
clicked, with no round trip to the server.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import gradio as gr

from cam_methods import METHODS

from .choices import PRESETS, default_methods, method_choices, method_label


def finer_variants() -> dict[str, str]:
    """{base method id: the id of its Finer-CAM variant}."""
    return {info.base: method_id for method_id, info in METHODS.items() if info.family == "finer" and info.base}


def base_methods() -> list[str]:
    """The methods that are not a Finer-CAM variant, in the registry's order."""
    return [method_id for method_id, info in METHODS.items() if info.family != "finer"]


def picked(bases: list[str], finer: bool) -> list[str]:
    """The method ids a pick stands for: each base, then its Finer-CAM variant when the toggle is on."""
    variants = finer_variants()
    return [method_id for base in bases for method_id in (base, variants.get(base) if finer else None) if method_id]


def as_pick(method_ids: list[str]) -> tuple[list[str], bool]:
    """The pick closest to a list of ids (a preset or a share link): the bases in it or whose Finer-CAM variant is
    in it, and the toggle on when any Finer-CAM variant is."""
    base_of = {variant: base for base, variant in finer_variants().items()}
    chosen = {base_of.get(method_id, method_id) for method_id in method_ids}
    return [base for base in base_methods() if base in chosen], any(m in base_of for m in method_ids)


PICK_JS = f"""(bases, finer) => {{ const variants = {json.dumps(finer_variants())};
  return [(bases || []).flatMap(base => finer && variants[base] ? [base, variants[base]] : [base])]; }}"""
"""Browser side of :func:`picked`, from the same table of variants (in a list: Gradio reads a returned list as
one value per output)."""


def on_preset(name: str) -> tuple[list[str], bool]:
    """A preset's pick (the hidden list of ids follows through :data:`PICK_JS`)."""
    return as_pick(PRESETS.get(name, []))


def method_picker() -> SimpleNamespace:
    """The presets, the base methods, the Finer-CAM toggle and the hidden list of ids Explain takes."""
    picker = SimpleNamespace()
    bases, finer = as_pick(default_methods())
    picker.preset = gr.Radio(list(PRESETS), label="Method presets", elem_id="presets")
    picker.bases = gr.CheckboxGroup(
        [(method_label(method_id), method_id) for method_id in base_methods()],
        value=bases,
        label="Methods",
        elem_id="methods",
    )
    picker.finer = gr.Checkbox(
        finer,
        label="+ Finer-CAM variants",
        info="adds the Finer-CAM variant of each ticked method that has one",
        elem_id="finer_toggle",
    )
    picker.methods = gr.CheckboxGroup(method_choices(), value=picked(bases, finer), visible=False, elem_id="method_ids")
    picker.preset.input(on_preset, picker.preset, [picker.bases, picker.finer], queue=False, api_visibility="private")
    for control in (picker.bases, picker.finer):
        control.change(None, [picker.bases, picker.finer], picker.methods, js=PICK_JS, queue=False)
    return picker
