"""The Learn tab: every method's formula and paper, read from the registry, and the HiResCAM toy
demonstration (computed in :mod:`.toy`)."""

from __future__ import annotations

import gradio as gr

from cam_methods import METHODS

from . import toy
from .choices import method_label

FAMILY_NOTES = {
    "gradient": "activations × gradients of one capture",
    "activation": "activations only, no gradient (class-agnostic)",
    "finer": "a base method on the target minus its similar classes",
    "perturbation": "extra forward passes on masked images",
    "optimisation": "a mask optimised over many forward and backward passes",
}


def methods_table() -> str:
    """Markdown table of every registered method: name, family, formula and paper."""
    rows = ["| Method | Family | Formula | Paper |", "|---|---|---|---|"]
    for info in METHODS.values():
        family = f"{info.family}: {FAMILY_NOTES[info.family]}"
        cells = [method_label(info.id), family, f"`{info.formula}`", info.paper]
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows)


def learn_tab() -> None:
    """The tab's components: the method table, then the HiResCAM flatten + linear demonstration."""
    gr.Markdown(methods_table(), elem_id="methods_table")
    gr.Markdown("### Why HiResCAM? A flatten + linear model")
    gr.Gallery(toy.demonstration(), columns=3, height="auto", elem_id="hirescam_demo")
    gr.Markdown(toy.EXPLANATION)
