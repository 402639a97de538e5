"""The backbone registry: every selectable model as data, loaded by name through a small LRU cache.

A local weights file can replace the network for any entry: pass ``weights=`` to :func:`load_backbone`,
or set the environment variable named by :func:`weights_env_var` (``CAMSTUDIO_WEIGHTS_RESNET50`` for
``resnet50``).
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
    """A backbone's weights cannot be had right now. The message is one sentence saying what to do."""


@dataclass(frozen=True)
class BackboneSpec:
    """How to get one backbone.

    ``build(weights)`` returns the Backbone, taking an optional local weights path. ``cached()`` says
    whether the network-free load will work without ``weights``.
    """

    name: str
    display_name: str
    family: str
    source: str
    build: Callable[[str | None], Backbone]
    cached: Callable[[], bool]

    @property
    def available_offline(self) -> bool:
        """True when loading needs no network right now (bundled, cached, or a local file configured)."""
        local = os.environ.get(weights_env_var(self.name))
        return bool(local and os.path.isfile(local)) or self.cached()


BACKBONES: dict[str, BackboneSpec] = {}
DEFAULT_BACKBONE = "efficientnet_lite0"

_loaded: OrderedDict[tuple[str, str | None], Backbone] = OrderedDict()
_loaded_lock = threading.Lock()


def weights_env_var(name: str) -> str:
    """``resnet50`` → ``CAMSTUDIO_WEIGHTS_RESNET50``; ``ViT-B-32`` → ``CAMSTUDIO_WEIGHTS_VIT_B_32``."""
    return "CAMSTUDIO_WEIGHTS_" + re.sub(r"[^0-9A-Za-z]+", "_", name).upper()


def register_backbone(spec: BackboneSpec) -> BackboneSpec:
    """Add (or replace) an entry; tests use this to register small random-weight backbones."""
    BACKBONES[spec.name] = spec
    with _loaded_lock:
        for key in [key for key in _loaded if key[0] == spec.name]:
            del _loaded[key]
    return spec


def build(spec: BackboneSpec, weights: str | None) -> Backbone:
    """``spec.build(weights)``; a local weights file that does not load becomes one BackboneUnavailable sentence."""
    if weights is None:
        return spec.build(None)
    try:
        return spec.build(weights)
    except BackboneUnavailable:
        raise
    except Exception as error:  # noqa: BLE001  (wrong architecture, corrupt file, unpickling: all one message)
        raise BackboneUnavailable(
            f"the weights file {os.path.basename(weights)!r} does not load into {spec.display_name} "
            f"({type(error).__name__}); check that it is a checkpoint of this architecture"
        ) from error


def load_backbone(name: str, weights: str | None = None) -> Backbone:
    """The backbone called ``name`` in eval mode, from a cache of the last few loaded.

    Raises ValueError for an unknown name and :class:`BackboneUnavailable` when the weights cannot be had.
    """
    if name not in BACKBONES:
        raise ValueError(f"unknown backbone {name!r}; choose one of {', '.join(BACKBONES)}")
    weights = weights or os.environ.get(weights_env_var(name)) or None
    if weights is not None and not os.path.isfile(weights):
        raise BackboneUnavailable(f"the weights file {weights!r} for {BACKBONES[name].display_name} does not exist")
    key = (name, weights)
    with _loaded_lock:
        if key in _loaded:
            _loaded.move_to_end(key)
            return _loaded[key]
        backbone = build(BACKBONES[name], weights)
        _loaded[key] = backbone
        while len(_loaded) > MODEL_CACHE_SIZE:
            _loaded.popitem(last=False)
        return backbone
