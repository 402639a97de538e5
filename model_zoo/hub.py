"""Weights from the Hugging Face Hub (fetched by timm or open_clip): the registry entry of a Hub model,
whether its weights are cached, and a failed load turned into a :class:`BackboneUnavailable` that names
the cause (no connection, full disk, unwritable cache, anything else).
"""

from __future__ import annotations

import errno
import importlib
import socket
import urllib.error
from collections.abc import Callable, Iterator
from functools import cache
from typing import TypeVar

from .backbone import Backbone
from .registry import BackboneSpec, BackboneUnavailable, weights_env_var

T = TypeVar("T")

_WEIGHT_FILES = ("open_clip_model.safetensors", "model.safetensors", "open_clip_pytorch_model.bin", "pytorch_model.bin")
_NETWORK_ERRNOS = {errno.ENETUNREACH, errno.ENETDOWN, errno.EHOSTUNREACH, errno.ECONNREFUSED, errno.ECONNRESET}
_DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_UNWRITABLE_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS}
_PUBLIC_SENTENCES = {
    "offline": "{} weights are not cached here and could not be downloaded (no connection to the model hub)",
    "disk_full": "{} weights could not be saved because the disk is full",
    "unwritable": "{} weights could not be saved because the model cache is not writable",
    "other": "{} weights could not be loaded",
}
_OPERATOR_ADVICE = {
    "offline": "run once online to fill the Hugging Face cache",
    "disk_full": "free disk space where the Hugging Face cache lives (HF_HOME)",
    "unwritable": "make the Hugging Face cache (HF_HOME) writable",
    "other": "check the cause named at the end",
}


def is_cached(hf_hub_id: str | None) -> bool:
    """True when a weights file of this Hub repo is already in the local Hugging Face cache."""
    if not hf_hub_id:
        return False
    from huggingface_hub import try_to_load_from_cache

    return any(isinstance(try_to_load_from_cache(hf_hub_id, filename), str) for filename in _WEIGHT_FILES)


def hub_spec(
    name: str,
    display_name: str,
    family: str,
    source: str,
    hub_id: str,
    build: Callable[[str | None], Backbone],
    build_random: Callable[[], Backbone],
) -> BackboneSpec:
    """The registry entry of a model whose weights live in the Hub repo ``hub_id``."""
    return BackboneSpec(
        name=name,
        display_name=display_name,
        family=family,
        source=f"{source} (Hugging Face Hub: {hub_id})",
        build=build,
        cached=lambda: is_cached(hub_id),
        build_random=build_random,
    )


@cache
def network_error_types() -> tuple[type[BaseException], ...]:
    """Exception types meaning "the Hub could not be reached, and the cache did not have the file"."""
    types: list[type[BaseException]] = [ConnectionError, TimeoutError, socket.gaierror, urllib.error.URLError]
    for module, name in (
        ("huggingface_hub.errors", "LocalEntryNotFoundError"),
        ("huggingface_hub.errors", "OfflineModeIsEnabled"),
        ("httpx", "TransportError"),
        ("requests", "ConnectionError"),
        ("requests", "Timeout"),
    ):
        try:
            types.append(getattr(importlib.import_module(module), name))
        except (ImportError, AttributeError):
            continue
    return tuple(types)


def exception_chain(error: BaseException) -> Iterator[BaseException]:
    """``error``, then what it was raised from (or while handling), and so on; each link once."""
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        yield link
        link = link.__cause__ or link.__context__


def failure_cause(error: BaseException) -> tuple[str, BaseException]:
    """The kind of failure (a key of ``_PUBLIC_SENTENCES``) and the link of the chain that shows it.

    Libraries wrap the Hub's errors (open_clip raises a RuntimeError from them), so the whole chain is read.
    """
    for link in exception_chain(error):
        code = getattr(link, "errno", None) if isinstance(link, OSError) else None
        if code in _DISK_FULL_ERRNOS:
            return "disk_full", link
        if code in _UNWRITABLE_ERRNOS:
            return "unwritable", link
        if code in _NETWORK_ERRNOS or isinstance(link, network_error_types()):
            return "offline", link
    return "other", error


def one_line(text: str, limit: int = 300) -> str:
    """``text`` on one line, cut to ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def unavailable(name: str, display_name: str, error: BaseException) -> BackboneUnavailable:
    """A BackboneUnavailable for a failed load: a public sentence per cause, and the operator's hint."""
    kind, cause = failure_cause(error)
    return BackboneUnavailable(
        _PUBLIC_SENTENCES[kind].format(display_name) + "; choose EfficientNet-Lite0 (bundled) instead.",
        f"For the operator: {_OPERATOR_ADVICE[kind]}, or set {weights_env_var(name)} to a local weights file "
        f"(or pass weights= to load_backbone); cause: {type(cause).__name__}: {one_line(str(cause))}",
    )


def download_or_explain(name: str, display_name: str, load: Callable[[], T]) -> T:
    """Run ``load()``; if it fails, raise a :class:`BackboneUnavailable` that names the cause."""
    try:
        return load()
    except Exception as error:  # noqa: BLE001  (every failure is reported, sorted by cause)
        raise unavailable(name, display_name, error) from error
