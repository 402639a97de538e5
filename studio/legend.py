"""The colour bar under the maps: what each colour of the chosen colormap means, in ReLU or raw mode."""

from __future__ import annotations

import numpy as np

from cam_methods.render import DIVERGING_COLORMAP, colourise

from .choices import check_display

STOPS = 11


def legend(cmap: str, signed: bool) -> str:
    """HTML: a gradient bar of the colormap the overlays use, with its scale. Raw maps are signed and drawn
    with a diverging colormap: −1 is evidence against the target, 0 none, +1 evidence for it."""
    cmap, _, signed = check_display(cmap, 0.5, signed)
    values = np.linspace(-1 if signed else 0, 1, STOPS)
    colours = colourise(values[None, :], DIVERGING_COLORMAP if signed else cmap, signed)[0]
    stops = ", ".join(f"rgb({r},{g},{b}) {100 * n / (STOPS - 1):.0f}%" for n, (r, g, b) in enumerate(colours))
    ticks = (
        ("−1 against the target", "0", "+1 for the target")
        if signed
        else ("0 · no evidence", "0.5", "1 · strongest evidence for the target")
    )
    labels = "".join(f"<span>{tick}</span>" for tick in ticks)
    return (
        f'<div class="legend-bar" style="background: linear-gradient(to right, {stops})"></div>'
        f'<div class="legend-ticks">{labels}</div>'
    )
