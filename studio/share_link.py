"""Share links: a view's settings in the page's URL, so that a teacher can send it.

``?example=chelsea&backbone=efficientnet_lite0&methods=gradcam,finer-gradcam&target=285&layer=blocks.5&gamma=1.2``
(on CLIP also ``&prompts=a cat;a dog&compare=a lynx``, the two prompt boxes)

Only a bundled example can travel in a link (an upload stays on the server of whoever uploaded it). A link is
hostile input on a public Space: every parameter is checked like the page's own controls, and one that does
not fit is ignored with one sentence that does not repeat it (a toast must not render what a URL says).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from cam_methods import METHODS
from model_zoo import BACKBONES, DEFAULT_BACKBONE, Backbone

from .choices import MAX_GAMMA, MAX_PROMPT_CHARS, MAX_PROMPTS, TOP1, parse_gamma, parse_prompts
from .examples import EXAMPLES, example_name
from .method_picker import as_pick, picked

PARAMETERS = ("example", "backbone", "methods", "target", "layer", "gamma", "prompts", "compare")
PROMPT_BOXES = {"prompts": ("prompts", "prompts"), "compare": ("compare_prompts", "“compare against” prompts")}
PLAIN_PROMPT = re.compile(r"[\w ,.'-]*")  # a link's prompts reach the summary's Markdown: no markup, no links
MAX_CHARS = 1000  # per parameter: longer values are not read at all
UPLOAD_NOTE = "Your image is an upload, which cannot travel in a link: the link carries the settings only."


@dataclass(frozen=True)
class View:
    """What a share link asks for, checked; None (or empty) where it asks for nothing usable."""

    example: str | None = None
    backbone: str = DEFAULT_BACKBONE
    bases: list[str] = field(default_factory=list)
    finer: list[str] = field(default_factory=list)  # the ticked Finer-CAM variants' ids
    target: str = TOP1
    layer: str | None = None
    gamma: float | None = None
    prompts: str = ""
    compare_prompts: str = ""
    notes: tuple[str, ...] = ()

    @property
    def methods(self) -> list[str]:
        return picked(self.bases, self.finer)


def read_link(query: Mapping[str, str]) -> View | None:
    """The view a URL's query asks for, or None when it has none of :data:`PARAMETERS`. The backbone's layer and
    target are checked later, against the loaded backbone (:func:`fit_to`)."""
    asked = {key: str(query[key]) for key in PARAMETERS if key in query}
    if not asked:
        return None
    notes, view = [], View()
    too_long = [key for key, value in asked.items() if len(value) > MAX_CHARS]
    if too_long:
        notes.append(f"The link's {', '.join(too_long)} {'is' if len(too_long) == 1 else 'are'} too long; ignored.")
        asked = {key: value for key, value in asked.items() if key not in too_long}
    if "example" in asked:
        ok = asked["example"] in EXAMPLES
        view = replace(view, example=asked["example"] if ok else None)
        notes += [] if ok else [f"The link's example is not one of the bundled images ({', '.join(EXAMPLES)})."]
    if "backbone" in asked:
        ok = asked["backbone"] in BACKBONES
        view = replace(view, backbone=asked["backbone"] if ok else DEFAULT_BACKBONE)
        notes += [] if ok else ["The link's backbone is not one this app offers; the default one is used."]
    if "methods" in asked:
        ids = [method_id for method_id in asked["methods"].split(",") if method_id]
        known = [method_id for method_id in ids if method_id in METHODS]
        view = replace(view, **dict(zip(("bases", "finer"), as_pick(known), strict=True)))
        notes += [] if len(known) == len(ids) else ["The link names methods this app does not have; they are left out."]
    if "gamma" in asked:
        gamma = read_gamma(asked["gamma"])
        view = replace(view, gamma=gamma)
        notes += [] if gamma is not None else [f"The link's γ is not a number from 0 to {MAX_GAMMA:g}; ignored."]
    for key, (name, words) in PROMPT_BOXES.items():  # link parameter → (View field, what the sentence calls it)
        prompts = read_prompts(asked.get(key, ""))
        view = replace(view, **{name: prompts if prompts is not None else ""})
        notes += [] if prompts is not None else [prompts_note(words)]
    return replace(view, target=asked.get("target", TOP1), layer=asked.get("layer"), notes=tuple(notes))


def read_gamma(text: str) -> float | None:
    """γ from the link's text (rounded to the slider's step), or None when it is not a finite number in range."""
    try:
        value = float(text)
        return parse_gamma(value) if math.isfinite(value) else None
    except ValueError:
        return None


def read_prompts(text: str) -> str | None:
    """The link's prompts as the prompt box shows them (``"a cat; a dog"``), or None when there are too many, one
    is too long, or one holds anything but letters, digits, spaces and ``, . ' -``."""
    try:
        prompts = parse_prompts(text)
    except ValueError:
        return None
    return "; ".join(prompts) if all(PLAIN_PROMPT.fullmatch(prompt) for prompt in prompts) else None


def prompts_note(words: str) -> str:
    return (
        f"The link's {words} are ignored: at most {MAX_PROMPTS} prompts of at most {MAX_PROMPT_CHARS} characters, in "
        "letters, digits, spaces and , . ' - only."
    )


def fit_to(view: View, backbone: Backbone) -> View:
    """The view with a layer and a target that ``backbone`` has; a layer or target it lacks is dropped with a
    sentence (the backbone's default layer, the top-1 prediction)."""
    notes = list(view.notes)
    layer = view.layer if view.layer in backbone.layers else None
    if view.layer is not None and layer is None:
        notes.append("The link's layer is not a layer of this backbone; its default layer is used.")
    target = view.target
    classes = len(backbone.labels or [])
    if target != TOP1 and not (target.isascii() and target.isdigit() and int(target) < classes):
        notes.append("The link's target is not a class of this backbone; the top-1 prediction is used.")
        target = TOP1
    prompts = {} if backbone.family == "clip" else {"prompts": "", "compare_prompts": ""}  # only CLIP reads them
    return replace(view, layer=layer or backbone.default_layer, target=target, notes=tuple(notes), **prompts)


def link_query(
    image_path: str | None,
    backbone: str,
    methods: list[str],
    target: str | None,
    layer: str | None,
    gamma: float,
    prompts: str | None = None,
    compare_prompts: str | None = None,
) -> tuple[str, str | None]:
    """(``"?example=…&backbone=…"``, a sentence when the image cannot travel in the link) for the page's state;
    the prompt boxes go in when they are not empty."""
    example = example_name(image_path)
    settings = {"backbone": backbone, "methods": ",".join(methods or []), "target": target or TOP1}
    settings |= {"layer": layer or "", "gamma": f"{parse_gamma(gamma):g}"}
    boxes = {"prompts": prompts, "compare": compare_prompts}
    settings |= {key: "; ".join(parse_prompts(text)) for key, text in boxes.items() if (text or "").strip()}
    query = ({"example": example} if example else {}) | settings
    return "?" + urlencode(query, safe=","), None if example or not image_path else UPLOAD_NOTE
