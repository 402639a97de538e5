"""Loading weights from the Hugging Face Hub (through timm or open_clip) with people-friendly failures."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from .registry import BackboneUnavailable, weights_env_var

T = TypeVar("T")

_WEIGHT_FILES = ("open_clip_model.safetensors", "model.safetensors", "open_clip_pytorch_model.bin", "pytorch_model.bin")


def is_cached(hf_hub_id: str | None) -> bool:
    """True when a weights file of this Hub repo is already in the local Hugging Face cache."""
    if not hf_hub_id:
        return False
    from huggingface_hub import try_to_load_from_cache

    return any(isinstance(try_to_load_from_cache(hf_hub_id, filename), str) for filename in _WEIGHT_FILES)


def download_or_explain(name: str, display_name: str, load: Callable[[], T]) -> T:
    """Run ``load()``; if it fails to fetch weights, raise one sentence that says what to do instead."""
    try:
        return load()
    except Exception as error:  # network, cache and Hub errors come in many types; all mean the same here
        raise BackboneUnavailable(
            f"{display_name} weights are not cached and could not be downloaded "
            f"({type(error).__name__}): choose EfficientNet-Lite0 (bundled), run once online, "
            f"or set {weights_env_var(name)} to a local weights file."
        ) from error
