"""ImageNet-1k class names, read from timm's packaged metadata (no network)."""

from __future__ import annotations

from functools import cache


@cache
def imagenet_labels() -> tuple[str, ...]:
    """The 1000 ImageNet-1k descriptions in index order, e.g. index 282 is ``'tiger cat'``."""
    from timm.data import ImageNetInfo

    info = ImageNetInfo()
    return tuple(info.index_to_description(i) for i in range(1000))
