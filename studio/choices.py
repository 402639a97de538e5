"""What the app offers, read from the registries: backbones grouped by family, methods with their labels.

Nothing here lists a model or a method by hand except the preferred default selection, which is
filtered by what is registered.
"""

from __future__ import annotations

import math

from cam_methods import METHODS
from cam_methods.render import COLORMAPS, check_opacity
from model_zoo import BACKBONES, Backbone

from .limits import GAMMA_STEP

FAMILY_TITLES = {"cnn": "CNN", "vit": "ViT", "clip": "CLIP"}
DEFAULT_METHODS = ("gradcam", "finer-gradcam", "layercam", "finer-layercam")  # all from the one shared capture
TOP1 = "top1"
MAX_PROMPTS = 8
MAX_PROMPT_CHARS = 200
MAX_GAMMA = 2.0  # the slider's range; the engine allows more
DEFAULT_DISPLAY = ("jet", 0.5, False)  # colormap, overlay opacity, raw (signed) map


def backbone_label(name: str) -> str:
    """``"CNN · EfficientNet-Lite0 (bundled)"``; ``" · weights unavailable offline"`` appended when so."""
    spec = BACKBONES[name]
    label = f"{FAMILY_TITLES.get(spec.family, spec.family)} · {spec.display_name}"
    return label if spec.available_offline else f"{label} · weights unavailable offline"


def backbone_choices() -> list[tuple[str, str]]:
    """(label, name) pairs for the dropdown, grouped by family in CNN, ViT, CLIP order."""
    order = list(FAMILY_TITLES)
    names = sorted(BACKBONES, key=lambda name: order.index(BACKBONES[name].family))
    return [(backbone_label(name), name) for name in names]


def method_label(method_id: str) -> str:
    """``"Score-CAM · slow"`` for slow methods, the display name otherwise."""
    info = METHODS[method_id]
    return f"{info.name} · slow" if info.slow else info.name


def method_choices() -> list[tuple[str, str]]:
    return [(method_label(method_id), method_id) for method_id in METHODS]


def default_methods() -> list[str]:
    """Grad-CAM and Layer-CAM with their Finer-CAM variants: the first run is fast (no extra model passes), and
    the four maps differ at the bundled model's default layer (HiResCAM equals Grad-CAM there)."""
    return [method_id for method_id in DEFAULT_METHODS if method_id in METHODS]


def preset(keep) -> list[str]:
    """The ids of the methods whose MethodInfo passes ``keep``, in the registry's order."""
    return [method_id for method_id, info in METHODS.items() if keep(info)]


PRESETS = {  # name → the methods it ticks
    "Fast": default_methods(),
    "All gradient (no extra passes)": preset(lambda info: not info.slow),
    "Everything (slow methods too)": list(METHODS),
}


def target_choices(backbone: Backbone, first: list[int]) -> list[tuple[str, str]]:
    """The target dropdown as (label, value): top-1, then the classes ``first`` (the top-5), then every other
    class once. Values are class indices as strings, since ImageNet repeats a few label names."""
    labels = list(backbone.labels or [])
    rest = [index for index in range(len(labels)) if index not in first]
    return [("Top-1 prediction", TOP1), *[(class_label(backbone, i), str(i)) for i in [*first, *rest]]]


def class_label(backbone: Backbone, index: int) -> str:
    """``"tiger cat (#282)"``: the index disambiguates the few repeated ImageNet names."""
    return f"{backbone.labels[index]} (#{index})"


def class_probabilities(backbone: Backbone, top: list[tuple[int, float]]) -> dict[str, float]:
    """{label: probability} for ``gr.Label``."""
    return {class_label(backbone, index): prob for index, prob in top}


def parse_target(value: str | None) -> int | None:
    """The dropdown value (a class index as text) as an int, or None for the top-1 prediction."""
    if value in (None, "", TOP1):
        return None
    if not (value.isascii() and value.isdigit()):
        raise ValueError(f"unknown target {value!r}; choose a class from the list")
    return int(value)


def parse_prompts(text: str | None) -> list[str]:
    """``"a cat; a dog ;"`` → ``["a cat", "a dog"]``; at most ``MAX_PROMPTS`` of at most ``MAX_PROMPT_CHARS``
    characters each (every prompt costs a backward pass, and slow methods run once per prompt)."""
    prompts = [part.strip() for part in (text or "").split(";") if part.strip()]
    if len(prompts) > MAX_PROMPTS:
        raise ValueError(f"{len(prompts)} prompts given; at most {MAX_PROMPTS} per box, please")
    too_long = [prompt[:30] for prompt in prompts if len(prompt) > MAX_PROMPT_CHARS]
    if too_long:
        raise ValueError(f"the prompt starting {too_long[0]!r} is longer than {MAX_PROMPT_CHARS} characters")
    return prompts


def parse_gamma(value: float) -> float:
    """The Finer-CAM strength from the slider or the API: a finite number in [0, ``MAX_GAMMA``], rounded to the
    slider's step (so a session has a bounded number of distinct Finer renders)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"the Finer-CAM strength γ must be a number, not {value!r}")
    if not 0 <= value <= MAX_GAMMA:
        raise ValueError(f"the Finer-CAM strength γ must lie between 0 and {MAX_GAMMA:g}")
    return round(round(value / GAMMA_STEP) * GAMMA_STEP, 2)


def check_display(cmap: str, opacity: float, signed: bool) -> tuple[str, float, bool]:
    """(colormap, opacity, signed) from the page or the API, or a ValueError naming what is wrong."""
    if cmap not in COLORMAPS:
        raise ValueError(f"unknown colormap {cmap!r}; choose one of {', '.join(COLORMAPS)}")
    return cmap, check_opacity(opacity), bool(signed)


def check_pair(first: object, second: object) -> tuple[str | None, str | None]:
    """The compare slider's two map names from the page or the API: each a string or empty, else a ValueError."""
    for side in (first, second):
        if side is not None and not isinstance(side, str):
            raise ValueError(f"the maps to compare must be given by name, not {type(side).__name__}")
    return first, second  # type: ignore[return-value]
