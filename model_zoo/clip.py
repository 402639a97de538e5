"""CLIP models (open_clip): the image tower is the explained model and text prompts are the targets.

``ClipPrompts`` is the text side (cached prompt embeddings and their scores), ``clip_backbone`` turns an
open_clip model into a Backbone, and ``CLIPS`` lists the registered architectures with their OpenAI weights.
Layers: every residual block's ``ln_1`` of a ViT tower (laid out by
:class:`~model_zoo.timm_vit.TokenGrid`), or ``visual.layer1`` … ``visual.layer4`` of the ResNet tower;
the last one by default.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .backbone import Backbone, channels_first_grid
from .hub import download_or_explain, hub_spec
from .labels import imagenet_labels
from .preprocess import Preprocess
from .registry import BackboneSpec, register_backbone
from .timm_vit import TokenGrid

CLASS_PROMPT_TEMPLATE = "a photo of a {}"
TEXT_BATCH_SIZE = 250
USER_PROMPT_CACHE = 10_000  # prompts other than the class prompts, ~2 KB each at D = 512


def class_names(labels: Sequence[str]) -> tuple[str, ...]:
    """The first synonym of each label: ``'tabby, tabby cat'`` → ``'tabby'``."""
    return tuple(label.split(",")[0].strip() for label in labels)


def encode_text_prefix(clip: nn.Module, tokens: torch.Tensor) -> torch.Tensor:
    """``clip.encode_text(tokens)`` computed on the first L = 1 + (last end-of-text position) tokens only.

    Exact, not an approximation: the text transformer is causal (token i attends to tokens ≤ i) and the
    embedding is read at the end-of-text token (the largest id, ``argmax``), so padding after it never
    matters. Short prompts cost about L/77 of the full-length pass.
    """
    ends = tokens.argmax(dim=-1)
    length = int(ends.max()) + 1
    x = clip.token_embedding(tokens[:, :length]) + clip.positional_embedding[:length]
    x = clip.ln_final(clip.transformer(x, attn_mask=clip.attn_mask[:length, :length]))
    pooled = x[torch.arange(len(tokens), device=x.device), ends]
    projection = clip.text_projection
    return projection(pooled) if isinstance(projection, nn.Linear) else pooled @ projection


class ClipPrompts:
    """The text side of one CLIP model: cached prompt embeddings and their scores.

    A prompt's score is the scaled cosine similarity ``s(p) = logit_scale · cos(f(x), g(p))`` between the
    image embedding f(x) (the output of ``Backbone.model``, the image tower alone, so one capture serves any
    number of prompts) and the text embedding g(p). Zero-shot candidates are ``class_prompts``:
    ``"a photo of a {name}"`` for each class name.
    """

    def __init__(self, clip: nn.Module, tokenize: Callable[[list[str]], torch.Tensor], names: Sequence[str]):
        if clip.text_pool_type != "argmax" or clip.attn_mask is None:
            raise ValueError("only CLIP text towers with a causal mask and end-of-text pooling are supported")
        self.clip = clip
        self._tokenize = tokenize
        self._cache: dict[str, torch.Tensor] = {}
        self._lock = threading.Lock()
        self.class_prompts = tuple(CLASS_PROMPT_TEMPLATE.format(name) for name in names)

    @property
    def logit_scale(self) -> float:
        return float(self.clip.logit_scale.detach().exp())

    def embed(self, prompts: Sequence[str]) -> torch.Tensor:
        """Unit-norm text embeddings (T×D, no grad), computed once per distinct prompt.

        New prompts are encoded in batches of similar token length, so short prompts are not padded to
        the longest one (see :func:`encode_text_prefix`). The cache keeps the class prompts plus at most
        ``USER_PROMPT_CACHE`` others; past that the others are forgotten (memory stays bounded on a server).
        """
        with self._lock:
            missing = [prompt for prompt in dict.fromkeys(prompts) if prompt not in self._cache]
            if len(self._cache) + len(missing) > len(self.class_prompts) + USER_PROMPT_CACHE:
                kept = set(self.class_prompts) | set(prompts)
                self._cache = {prompt: row for prompt, row in self._cache.items() if prompt in kept}
            if missing:
                tokens = self._tokenize(missing).to(self.clip.logit_scale.device)
                order = torch.argsort(tokens.argmax(dim=-1)).tolist()
                for start in range(0, len(order), TEXT_BATCH_SIZE):
                    rows = order[start : start + TEXT_BATCH_SIZE]
                    with torch.no_grad():  # not inference_mode: the embeddings enter the autograd graph of s(p)
                        features = F.normalize(encode_text_prefix(self.clip, tokens[rows]).float(), dim=-1)
                    self._cache.update(zip([missing[row] for row in rows], features, strict=True))
            return torch.stack([self._cache[prompt] for prompt in prompts])

    def similarity(self, image_embedding: torch.Tensor, prompts: Sequence[str]) -> torch.Tensor:
        """``S[b, t] = logit_scale · cos(image_embedding[b], g(prompts[t]))`` (B×T, differentiable in the image)."""
        image = F.normalize(image_embedding.float(), dim=-1)
        return self.logit_scale * image @ self.embed(prompts).T

    def zero_shot_probability(self, image_embedding: torch.Tensor, prompts: Sequence[str]) -> torch.Tensor:
        """``P[b, t] = softmax over Q of s(q) at q = prompts[t]``, with Q the distinct prompts of ``prompts`` and
        ``class_prompts`` together (B×T, differentiable). The score the perturbation methods and metrics use:
        masking the image changes a raw similarity for every prompt alike, but this probability only when the
        prompt gains or loses against the other candidates."""
        candidates = list(dict.fromkeys([*prompts, *self.class_prompts]))
        probs = self.similarity(image_embedding, candidates).softmax(dim=-1)
        return probs[:, [candidates.index(prompt) for prompt in prompts]]


class ClipImageModel(nn.Module):
    """``Backbone.model`` for CLIP: the image tower; ``forward(x)`` is the image embedding f(x)."""

    def __init__(self, visual: nn.Module) -> None:
        super().__init__()
        self.visual = visual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.visual(x)


def clip_backbone(
    name: str, display_name: str, clip: nn.Module, tokenizer: str, labels: Sequence[str] | None = None
) -> Backbone:
    """The Backbone of an open_clip model.

    ``tokenizer`` names the open_clip model whose tokenizer to use; ``labels`` are the zero-shot
    candidates (default: ImageNet-1k).
    """
    import open_clip  # imported on first use: importing it takes seconds

    names = class_names(imagenet_labels() if labels is None else labels)
    prompts = ClipPrompts(clip, open_clip.get_tokenizer(tokenizer), names)
    visual = clip.visual
    if hasattr(visual, "transformer"):
        layers = tuple(f"visual.transformer.resblocks.{i}.ln_1" for i in range(len(visual.transformer.resblocks)))
        prefix_tokens = int(getattr(visual, "class_embedding", None) is not None)
        batch_first = getattr(visual.transformer, "batch_first", True)
        to_grid = TokenGrid(tuple(visual.patch_size), prefix_tokens, batch_first)
    else:
        layers = tuple(f"visual.layer{i}" for i in range(1, 5))
        to_grid = channels_first_grid
    config = open_clip.get_model_preprocess_cfg(clip)  # models built from a bare config have only the size
    size = config["size"] if isinstance(config["size"], (tuple, list)) else (config["size"], config["size"])
    return Backbone(
        name=name,
        display_name=display_name,
        family="clip",
        model=ClipImageModel(visual),
        preprocess=Preprocess(
            crop=tuple(size),
            resize=min(size),
            mean=tuple(config.get("mean", open_clip.OPENAI_DATASET_MEAN)),
            std=tuple(config.get("std", open_clip.OPENAI_DATASET_STD)),
            interpolation=config.get("interpolation", "bicubic"),
        ),
        layers=layers,
        default_layer=layers[-1],
        labels=names,
        to_grid=to_grid,
        score_outputs=prompts.zero_shot_probability,
        prompt_scorer=prompts,
    )


@dataclass(frozen=True)
class ClipModel:
    """An open_clip architecture, the pretrained tag of its weights and where the Hub keeps them.

    ``quick_gelu``: OpenAI's weights were trained with QuickGELU, so the architecture must use it too.
    """

    arch: str
    tag: str
    display_name: str
    hub_id: str
    quick_gelu: bool

    def create(self, pretrained: str | None) -> nn.Module:
        """open_clip's model; ``pretrained`` is the tag, a local checkpoint path, or None (random weights)."""
        import open_clip

        return open_clip.create_model(self.arch, pretrained=pretrained, force_quick_gelu=self.quick_gelu).eval()

    def build(self, weights: str | None = None) -> Backbone:
        """With the Hub weights of the tag (or a local checkpoint file): BackboneUnavailable offline."""
        if weights:
            clip = self.create(weights)
        else:
            clip = download_or_explain(self.arch, self.display_name, lambda: self.create(self.tag))
        return clip_backbone(self.arch, self.display_name, clip, self.arch)

    def spec(self) -> BackboneSpec:
        return hub_spec(
            self.arch,
            self.display_name,
            "clip",
            source=f"open_clip {self.arch} pretrained={self.tag!r}",
            hub_id=self.hub_id,
            build=self.build,
            build_random=lambda: clip_backbone(self.arch, self.display_name, self.create(None), self.arch),
        )


CLIPS = {
    clip.arch: clip
    for clip in (
        ClipModel("ViT-B-32", "openai", "CLIP ViT-B/32 (OpenAI)", "timm/vit_base_patch32_clip_224.openai", True),
        ClipModel("ViT-B-16", "openai", "CLIP ViT-B/16 (OpenAI)", "timm/vit_base_patch16_clip_224.openai", True),
        ClipModel("RN50", "openai", "CLIP RN50 (OpenAI)", "timm/resnet50_clip.openai", True),
    )
}


for _clip in CLIPS.values():
    register_backbone(_clip.spec())
