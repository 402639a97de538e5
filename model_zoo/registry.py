"""The backbone registry: ``BACKBONES`` maps a name to a :class:`BackboneSpec`, and :func:`load_backbone`
builds one by name through a small LRU cache.

The zoo modules (``timm_models``, ``timm_vit``, ``clip``) add their entries at import with
:func:`register_backbone`; any caller may add more. The app's backbone dropdown and the CLI's
``--backbone`` choices are read from ``BACKBONES``. Names outside the zoo are model ids with a prefix
(``timm/resnet18``, ``hf/google/vit-base-patch16-224``) whose loader ``model_ids`` registers with
:func:`register_model_id_prefix`.
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from .backbone import Backbone

MODEL_CACHE_SIZE = 3


class BackboneUnavailable(RuntimeError):
    """A backbone cannot be loaded right now.

    ``message`` is one sentence that a visitor of a public web app may read: no environment-variable
    names, file paths or exception class names. ``hint`` tells the operator what to change and what
    failed underneath. ``str(error)`` is both, so the CLI and the Python API show everything.
    """

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(f"{message} {hint}" if hint else message)
        self.message = message
        self.hint = hint

    def __reduce__(self):
        return type(self), (self.message, self.hint)


@dataclass(frozen=True)
class BackboneSpec:
    """How to get one backbone.

    ``build(weights)`` returns the Backbone, taking an optional local weights path. ``cached()`` says
    whether the network-free load will work without ``weights``. ``build_random()``, when given, returns
    the same architecture with random weights, needing no network and no file.
    """

    name: str
    display_name: str
    family: str
    source: str
    build: Callable[[str | None], Backbone]
    cached: Callable[[], bool]
    build_random: Callable[[], Backbone] | None = None

    @property
    def available_offline(self) -> bool:
        """True when loading needs no network right now (bundled, cached, or a local file configured)."""
        local = os.environ.get(weights_env_var(self.name))
        return bool(local and os.path.isfile(local)) or self.cached()


BACKBONES: dict[str, BackboneSpec] = {}
# prefix → loader(model id without the prefix, local weights or None, random_weights) → Backbone
MODEL_ID_PREFIXES: dict[str, Callable[[str, str | None, bool], Backbone]] = {}
DEFAULT_BACKBONE = "efficientnet_lite0"

_loaded: OrderedDict[tuple[str, str | None, bool], Backbone] = OrderedDict()
_loaded_lock = threading.Lock()


def weights_env_var(name: str) -> str:
    """``resnet50`` → ``CAMSTUDIO_WEIGHTS_RESNET50``; ``ViT-B-32`` → ``CAMSTUDIO_WEIGHTS_VIT_B_32``."""
    return "CAMSTUDIO_WEIGHTS_" + re.sub(r"[^0-9A-Za-z]+", "_", name).upper()


def register_backbone(spec: BackboneSpec) -> BackboneSpec:
    """Add (or replace) the entry ``spec.name`` and drop any loaded copy of the entry it replaces."""
    BACKBONES[spec.name] = spec
    with _loaded_lock:
        for key in [key for key in _loaded if key[0] == spec.name]:
            del _loaded[key]
    return spec


def register_model_id_prefix(prefix: str, loader: Callable[[str, str | None, bool], Backbone]) -> None:
    """Let ``load_backbone(prefix + model_id)`` build ``loader(model_id, weights, random_weights)``."""
    MODEL_ID_PREFIXES[prefix] = loader


def model_id_prefix(name: str) -> str | None:
    """The registered prefix ``name`` starts with (``"timm/"``, ``"hf/"``), or None for a zoo name."""
    return next((prefix for prefix in MODEL_ID_PREFIXES if name.startswith(prefix)), None)


def build(spec: BackboneSpec, weights: str | None) -> Backbone:
    """``spec.build(weights)``; a local weights file that does not load becomes one BackboneUnavailable."""
    if weights is None:
        return spec.build(None)
    try:
        return spec.build(weights)
    except BackboneUnavailable:
        raise
    except Exception as error:  # noqa: BLE001  (wrong architecture, corrupt file, unpickling: all one message)
        raise unloadable_weights(spec.display_name, weights, error) from error


def unloadable_weights(display_name: str, weights: str, error: Exception) -> BackboneUnavailable:
    """The BackboneUnavailable for a local weights file that does not load into ``display_name``."""
    return BackboneUnavailable(
        f"The weights file configured for {display_name} does not load into it.",
        f"For the operator: {os.path.basename(weights)!r} does not load into {display_name} "
        f"({type(error).__name__}); check that it is a checkpoint of this architecture.",
    )


def build_random(spec: BackboneSpec) -> Backbone:
    """``spec.build_random()`` with "(random weights)" in its display name; ValueError when the entry has none."""
    if spec.build_random is None:
        raise ValueError(f"{spec.display_name} has no random-weight build")
    backbone = spec.build_random()
    backbone.display_name = f"{spec.display_name} (random weights)"
    return backbone


def local_weights(name: str, weights: str | None) -> str | None:
    """``weights``, else the file named by the entry's environment variable, else None; it must exist (a
    file, or for a Hugging Face model id a folder)."""
    weights = weights or os.environ.get(weights_env_var(name)) or None
    if weights is not None and not os.path.exists(weights):
        shown = BACKBONES[name].display_name if name in BACKBONES else name
        raise BackboneUnavailable(
            f"The weights file configured for {shown} does not exist.",
            f"For the operator: {weights!r} (from weights= or {weights_env_var(name)}) is not a file.",
        )
    return weights


def load_backbone(name: str, weights: str | None = None, random_weights: bool = False) -> Backbone:
    """The backbone called ``name`` in eval mode, from a cache of the last few loaded.

    ``weights`` is a local weights file replacing the network (default: the file named by the environment
    variable :func:`weights_env_var`, when set). ``random_weights=True`` gives the same architecture,
    preprocessing, layers and labels with freshly initialised weights (seed with ``torch.manual_seed``) and
    "(random weights)" at the end of the display name, for tests and benchmarks: no network, no file, and
    cached apart from the real weights.

    ``name`` may also be a model id with a registered prefix: ``timm/<model id>`` (any timm model) or
    ``hf/<model id>`` (a ``transformers`` image classifier), made into a Backbone by :func:`~model_zoo.wrap`.

    Raises ValueError for an unknown name (or ``weights`` together with ``random_weights``) and
    :class:`BackboneUnavailable` when the weights cannot be had.
    """
    prefix = model_id_prefix(name)
    if name not in BACKBONES and prefix is None:
        raise ValueError(
            f"unknown backbone {name!r}; choose one of {', '.join(BACKBONES)}, "
            f"or a model id starting with {' or '.join(MODEL_ID_PREFIXES)}"
        )
    if random_weights and weights:
        raise ValueError("give either weights= or random_weights=True, not both")
    weights = None if random_weights else local_weights(name, weights)
    key = (name, weights, random_weights)
    with _loaded_lock:
        if key in _loaded:
            _loaded.move_to_end(key)
            return _loaded[key]
        if prefix is not None:
            backbone = MODEL_ID_PREFIXES[prefix](name[len(prefix) :], weights, random_weights)
        else:
            spec = BACKBONES[name]
            backbone = build_random(spec) if random_weights else build(spec, weights)
        _loaded[key] = backbone
        while len(_loaded) > MODEL_CACHE_SIZE:
            _loaded.popitem(last=False)
        return backbone
