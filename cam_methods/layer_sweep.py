"""Which layers ``explain(..., layers=...)`` sweeps, checked once.

A sweep taps every chosen layer in ONE forward pass and takes one backward walk (vectorised over the
targets) down to the earliest of them (:func:`~cam_methods.capture.capture_layers`); the maps at layer l then
use A_l and ∂score/∂A_l exactly as a single-layer ``explain(..., layer=l)`` would.
"""

from __future__ import annotations

from collections.abc import Sequence

from model_zoo import Backbone


def swept_layers(backbone: Backbone, layers: Sequence[str] | str | None, layer: str | None) -> tuple[list[str], str]:
    """The layers to capture (the backbone's order: shallow to deep) and the one whose Explanation is
    returned (``layer``, else the default layer when swept, else the deepest swept); a ValueError in one
    sentence for an unknown name."""
    if layers is None:
        return [layer or backbone.default_layer], layer or backbone.default_layer
    if isinstance(layers, str):
        if layers != "all":
            raise ValueError(f'the layers to sweep are a list of layer names or "all", not {layers!r}')
        layers = backbone.layers
    names = list(dict.fromkeys(layers))
    unknown = [name for name in names if name not in backbone.layers]
    if unknown or not names:
        raise ValueError(
            f"{backbone.display_name} has no layer {', '.join(map(repr, unknown)) or 'named'}; "
            f'sweep layers among {list(backbone.layers)}, or "all"'
        )
    if layer is not None and layer not in names:
        raise ValueError(f"layer={layer!r} is not among the swept layers {names}; leave it out or add it")
    ordered = [name for name in backbone.layers if name in names]
    default = backbone.default_layer if backbone.default_layer in ordered else ordered[-1]
    return ordered, layer or default
