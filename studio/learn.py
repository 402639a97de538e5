"""The Learn tab's content: every method's formula and paper, read from the registry (the HiResCAM toy
demonstration is in :mod:`.toy`)."""

from __future__ import annotations

from cam_methods import METHODS

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
