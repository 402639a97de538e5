"""The Learn tab's method reference: one plain-English line and a paper link per method, and the meaning of
every symbol the registry's formulas use.

The formulas themselves are the registry's (:data:`cam_methods.METHODS`), so they are written once; this
table adds what a student needs to read them. Finer variants are derived from their base method's note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cam_methods import METHODS
from cam_methods.registry import MethodInfo

FINER_LINK = "https://arxiv.org/abs/2501.11309"


@dataclass(frozen=True)
class MethodNote:
    """What a method does in one plain sentence, and a link to its paper (arXiv or DOI)."""

    plain: str
    link: str


NOTES = {
    "cam": MethodNote(
        "Weighs each channel by the classifier's own weight for the class; needs a pooling + linear head.",
        "https://arxiv.org/abs/1512.04150",
    ),
    "gradcam": MethodNote(
        "Weighs each channel by how much, on average over the image, the score grows when the channel grows.",
        "https://arxiv.org/abs/1610.02391",
    ),
    "hirescam": MethodNote(
        "Multiplies gradient and activation at every position before summing, so no averaging hides where.",
        "https://arxiv.org/abs/2011.08891",
    ),
    "gradcampp": MethodNote(
        "Grad-CAM with weights built from positive gradients only, re-weighted so several objects can show.",
        "https://arxiv.org/abs/1710.11063",
    ),
    "xgradcam": MethodNote(
        "Weighs each channel by its gradient averaged where the channel is active, not over the whole image.",
        "https://arxiv.org/abs/2008.02312",
    ),
    "layercam": MethodNote(
        "Keeps every position's positive gradient as its own weight; works at early, high-resolution layers.",
        "https://doi.org/10.1109/TIP.2021.3089943",
    ),
    "abscam1": MethodNote(
        "Grad-CAM with absolute gradients, so positive and negative gradients of a channel do not cancel.",
        "https://arxiv.org/abs/2207.03648",
    ),
    "eigencam": MethodNote(
        "The main pattern of the activations, with no class at all: the same map for every target.",
        "https://arxiv.org/abs/2008.00299",
    ),
    "fgvis": MethodNote(
        "Searches the smallest pixel mask that keeps the class score; slow, hundreds of model calls.",
        "https://arxiv.org/abs/1908.02686",
    ),
    "scorecam": MethodNote(
        "Shows the model the image through each channel as a mask and weighs the channel by the class score.",
        "https://arxiv.org/abs/1910.01279",
    ),
    "abscam": MethodNote(
        "Abs-CAM's phase-1 channel maps used as masks, re-scored by the model as in Score-CAM.",
        "https://arxiv.org/abs/2207.03648",
    ),
}

NOTATION = {
    "Σ": "sum (Σ_k over the K channels, Σ_ij and Σ_ab over the h×w positions)",
    "⊙": "element-wise product",
    "ReLU": "ReLU(v) = max(v, 0)",
    "Up": "bilinear upsampling to the input size",
    "minmax": "rescaling to [0, 1]",
}
SYMBOLS = {
    "A": "the layer's activations, K channels on an h×w grid",
    "A_k": "channel k of the activations A; A_kij (or A_kab) is its value at position (i, j)",
    "G": "∂y/∂A: how the explained score y (the target's logit y_c; s for a Finer variant) changes with A",
    "G_k": "channel k of the gradient G; G_kij is its value at position (i, j)",
    "K": "the number of channels",
    "Z": "h·w, the number of spatial positions",
    "w": "the linear head's weights after global average pooling",
    "w_ck": "the head's weight from channel k to class c",
    "w_k": "the channel weight, defined after the comma",
    "α_k": "Grad-CAM's channel weight: the gradient averaged over all Z positions",
    "β_k": "Abs-CAM's channel weight: the absolute gradient averaged over all Z positions",
    "a": "Grad-CAM++'s per-position coefficients a_kij",
    "a_k": "Grad-CAM++'s coefficients of channel k; a_kij is the one of position (i, j)",
    "ε": "10⁻⁷, to avoid dividing by zero",
    "x": "the input image (normalised)",
    "b": "the baseline image (zeros after normalisation: the dataset's mean colour)",
    "m": "FGVis's mask, one value in [0, 1] per pixel",
    "λ": "FGVis's sparsity weight (2.5 by default; ‖m‖₁ is the mask's mean)",
    "a⁰": "a unit's activation on the original image x",
    "H_k": "channel k as an image-sized mask in [0, 1]: minmax(Up(A_k))",
    "s_k": "the score of the image masked by channel k (the channel's weight)",
    "p_c": "the target class's softmax probability",
    "p_rt": "the softmax probability of reference class r_t",
    "s": "the explained score of a Finer variant",
    "y_c": "the target class's score (its logit)",
    "y_rt": "the score of reference class r_t, the t-th most likely class other than c",
    "γ": "Finer-CAM's comparison strength (0 gives the base method back)",
    "π_t": "reference t's weight: 1/T by default (T references), or its probability renormalised over the T",
}
METHOD_SYMBOLS = {("fgvis", "a"): "a unit's activation during the search; gradient passes only while a is in the bound"}
TOKEN = re.compile(r"(?<![\w⁰])([A-Za-zα-ω](?:_[a-z]+|⁰)?)(?:[²³]|(?![\w⁰]))")
PROSE = re.compile(r"\([^()]*(?<![_a-z])[a-z]{3,}[^()]*\)|\S*CAM\S*|(?<![_\w])[a-z]{2,}\b")


def symbols_in(formula: str) -> list[str]:
    """The one-letter symbols of ``formula`` (with their subscripts, ``_kij`` and ``_kab`` read as ``_k``), in
    order of first appearance; prose in the formula (method names, words, a note in brackets) is skipped."""
    tokens = TOKEN.findall(PROSE.sub(" ", formula))
    return list(dict.fromkeys(re.sub(r"_k(?:ij|ab)$", "_k", token) for token in tokens))


def note_of(info: MethodInfo) -> MethodNote:
    """The method's note; a Finer variant's explains its base on ``y_c − γ Σ_t π_t y_rt`` and links both papers."""
    if info.base is None or info.id in NOTES:
        return NOTES[info.id]
    base = NOTES[info.base]
    return MethodNote(f"{METHODS[info.base].name} of the target's score minus its look-alikes' scores.", base.link)


def links(info: MethodInfo) -> str:
    """Markdown links to the method's paper(s): Finer variants cite Finer-CAM and their base."""
    note = note_of(info)
    if info.family != "finer":
        return f"[{info.paper}]({note.link})"
    return f"[Finer-CAM]({FINER_LINK}); base: [{METHODS[info.base].name}]({note.link})"


def method_entry(info: MethodInfo) -> str:
    """One method as Markdown: its name and plain line, the formula, each symbol's meaning and the paper."""
    meanings = [METHOD_SYMBOLS.get((info.id, symbol), SYMBOLS[symbol]) for symbol in symbols_in(info.formula)]
    defined = [f"*{symbol}*: {meaning}" for symbol, meaning in zip(symbols_in(info.formula), meanings, strict=True)]
    notation = [f"*{mark}*: {meaning}" for mark, meaning in NOTATION.items() if mark in info.formula]
    return (
        f"**{info.name}**: {note_of(info).plain}  \n`{info.formula}`  \n"
        f"where {'; '.join(defined + notation)}.  \nPaper: {links(info)}"
    )


def methods_markdown() -> str:
    """Every registered method's entry, in registry order."""
    return "\n\n".join(method_entry(info) for info in METHODS.values())
