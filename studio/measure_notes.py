"""What each faithfulness measure means, for students: one sentence per measure, its direction and rounding.

``NOTES`` is the whole text as Markdown (the panel's figure prints it under the curves; a page can show it
beside the table).
"""

from __future__ import annotations

from typing import NamedTuple


class Measure(NamedTuple):
    """A table column: its summary key, header, whether higher is better, decimals, and a sentence for students."""

    key: str
    header: str
    higher_is_better: bool
    decimals: int
    sentence: str


MEASURES = (
    Measure(
        "deletion_auc",
        "deletion AUC ↓",
        False,
        3,
        "Delete the map's top pixels first (grey): the target's "
        "probability should fall fast, so a lower area under the curve is better.",
    ),
    Measure(
        "insertion_auc",
        "insertion AUC ↑",
        True,
        3,
        "Reveal the map's top pixels first on a blurred copy: the "
        "probability should rise fast, so a higher area is better.",
    ),
    Measure(
        "rd",
        "RD@5% ↑",
        True,
        3,
        "Grey out the top 5 %: how much more the target loses than its most similar "
        "class. Higher is better; below 0 the map points more at the rival class's evidence than the target's.",
    ),
    Measure(
        "road_morf",
        "ROAD MoRF ↓",
        False,
        3,
        "ROAD fills removed pixels from their neighbours (plus a little "
        "noise), so the hole does not look artificial; removing the top pixels first should lower the "
        "probability: lower is better.",
    ),
    Measure(
        "road_lerf",
        "ROAD LeRF ↑",
        True,
        3,
        "ROAD removing the map's least important pixels first: the probability should stay high, so higher is better.",
    ),
    Measure(
        "road_gap",
        "ROAD gap ↑",
        True,
        3,
        "LeRF minus MoRF: higher is better; about 0 means the map ranks "
        "pixels no better than chance, below 0 means worse than chance (it points away from the evidence).",
    ),
    Measure(
        "average_drop",
        "drop % ↓",
        False,
        1,
        "Keep the image only where the map is high (image × map): how "
        "much of the probability is lost, in %. Lower is better (0 = nothing lost).",
    ),
    Measure(
        "increase",
        "rises?",
        True,
        0,
        "Does the image × map score higher than the whole image? 'yes' is good "
        "(Increase in Confidence is the share of images where it does).",
    ),
)
NOTES = "\n".join(
    [
        "Every number is the target's probability (on CLIP: its zero-shot probability among the prompts and class "
        "prompts) after the input is changed as described. ★ marks the best value per column; the two baseline "
        "rows are maps that know nothing (random noise, a blob in the centre): a method should beat them.",
        *(f"- **{measure.header}**: {measure.sentence}" for measure in MEASURES),
    ]
)
