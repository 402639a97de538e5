"""Random-weight CLIP backbones for the tests: a tiny CLIP (cheap enough for every test and the app tests)
and the registered CLIP architectures with a short list of zero-shot labels. No network, no files.

The zoo's own entries with random weights come from ``load_backbone(name, random_weights=True)``.
"""

from __future__ import annotations

from collections.abc import Sequence

from model_zoo import BACKBONES, Backbone, BackboneSpec
from model_zoo.clip import clip_backbone

TINY_CLIP_CONFIG = {  # open_clip.CLIP: 2 blocks of width 64 per tower, 7×7 patch grid at 224 px
    "embed_dim": 32,
    "vision_cfg": {"image_size": 224, "patch_size": 32, "layers": 2, "width": 64, "head_width": 32},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}
TINY_CLIP_TOKENIZER = "ViT-B-32"  # any open_clip tokenizer with the 49408-token vocabulary
TINY_CLIP_DISPLAY_NAME = "Tiny random-weight CLIP (tests)"


def tiny_clip(name: str = "tiny-clip", labels: Sequence[str] | None = None) -> Backbone:
    """A fresh tiny CLIP with random weights; ``labels`` are its zero-shot classes (default ImageNet-1k)."""
    import open_clip

    clip = open_clip.CLIP(**TINY_CLIP_CONFIG).eval()
    return clip_backbone(name, TINY_CLIP_DISPLAY_NAME, clip, TINY_CLIP_TOKENIZER, labels)


def tiny_clip_spec(name: str = "test-clip", labels: Sequence[str] | None = None) -> BackboneSpec:
    """A registry entry for the tiny CLIP, for tests that load it by name (the app tests register it)."""
    return BackboneSpec(
        name=name,
        display_name=TINY_CLIP_DISPLAY_NAME,
        family="clip",
        source="random weights, open_clip CLIP with TINY_CLIP_CONFIG (tests/random_backbones.py)",
        build=lambda weights: tiny_clip(name, labels),
        cached=lambda: True,
        build_random=lambda: tiny_clip(name, labels),
    )


def random_clip(arch: str, labels: Sequence[str]) -> Backbone:
    """The registered CLIP ``arch`` as ``BACKBONES[arch].build_random()`` makes it, with ``labels`` as its
    zero-shot classes instead of ImageNet-1k (a few labels keep the class prompts cheap to encode).

    Not cached: a real-size CLIP is freed when the test drops it.
    """
    spec = BACKBONES[arch]
    clip = spec.build_random().prompt_scorer.clip
    return clip_backbone(f"random-{arch}", spec.display_name, clip, arch, labels)
