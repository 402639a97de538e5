"""``wrap`` refuses what it cannot explain with one sentence: no module, no class scores, a model that does
not run at the size, no grid layer, no layer the gradient reaches, and a ``layer=`` that is not a grid."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from toy_models import TOY_PREPROCESS, GapLinear

from model_zoo import Preprocess, wrap


def sentence_of(call) -> str:
    with pytest.raises(ValueError) as caught:
        call()
    text = str(caught.value)
    assert text.count(". ") == 0 and "\n" not in text and "Traceback" not in text
    return text


class Features(nn.Module):
    """Returns a feature map, not class scores."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        return self.conv(x)


def test_wrap_says_what_it_needs_in_one_sentence():
    assert "torch.nn.Module" in sentence_of(lambda: wrap("resnet18"))
    assert "not class scores" in sentence_of(lambda: wrap(Features(), preprocess=TOY_PREPROCESS))
    fixed = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 5))
    assert "pass preprocess= with the input size" in sentence_of(lambda: wrap(fixed))
    pooled = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3, 5))
    assert "pass layer=" in sentence_of(lambda: wrap(pooled, preprocess=TOY_PREPROCESS))


def test_a_zero_classifier_and_a_layer_that_is_not_a_grid_name_the_candidates_and_layer():
    model = GapLinear()
    nn.init.zeros_(model.fc.weight)
    text = sentence_of(lambda: wrap(model, preprocess=TOY_PREPROCESS))
    assert "'conv'" in text and "pass layer=" in text and "initialised to zero" in text
    text = sentence_of(lambda: wrap(GapLinear(), preprocess=TOY_PREPROCESS, layer="fc"))
    assert "'fc'" in text and "'conv'" in text and "layer=" in text


def test_labels_must_match_the_classes():
    assert "3 labels" in sentence_of(lambda: wrap(GapLinear(), preprocess=TOY_PREPROCESS, labels=["a", "b", "c"]))


def test_a_channels_last_model_and_a_non_square_input():
    """A hand-written N×H×W×C model: the layout is read from the shape, and the map follows the input."""

    class ChannelsLast(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Linear(3, 6)
            self.head = nn.Linear(6, 4)

        def forward(self, x):
            features = self.embed(x.permute(0, 2, 3, 1))  # N×H×W×6
            return self.head(features.mean(dim=(1, 2)))

    backbone = wrap(ChannelsLast(), preprocess=Preprocess(crop=(6, 10), resize=None))
    assert backbone.default_layer == "embed" and backbone.cam_layer == "embed"
    x = torch.randn(1, 3, 6, 10)
    grid = backbone.grid_of("embed")(backbone.model.embed(x.permute(0, 2, 3, 1)), (6, 10))
    assert grid.shape == (6, 6, 10)
