"""Average Drop % / Increase in Confidence on a linear toy model (hand-computed), the baseline maps, and all
measures through score_maps and scores.csv."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch
from torch import nn
from toy_models import GapLinear, positive_input, raw_score_backbone, toy_backbone

from cam_methods import MapScores, cached_baselines, explain, score_maps
from cam_methods.baseline_maps import CENTRE_SIGMA, baseline_maps, centre_gaussian, random_map
from cam_methods.confidence_metrics import ConfidenceScores, average_drop_and_increase, confidence_scores
from cam_methods.export import write_outputs
from model_zoo import Backbone

SIZE = 4


class SignedSum(nn.Module):
    """score = Σ over the left half of the pixels − Σ over the right half (all channels)."""

    def __init__(self) -> None:
        super().__init__()
        self.pixels = nn.Identity()
        weights = torch.ones(1, 3, SIZE, SIZE)
        weights[..., SIZE // 2 :] = -1
        self.register_buffer("weights", weights)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.pixels(x) * self.weights).sum((1, 2, 3))[:, None]


@pytest.fixture(scope="module")
def linear() -> Backbone:
    return raw_score_backbone(SignedSum(), SIZE, "pixels", ("left",))


def test_average_drop_and_increase_by_hand(linear):
    x = torch.ones(1, 3, SIZE, SIZE)
    x[..., SIZE // 2 :] = 0.5  # Y = 24 − 12 = 12
    half = np.full((SIZE, SIZE), 0.5, np.float32)  # O = 6: a drop of 50 %
    left = np.zeros((SIZE, SIZE), np.float32)
    left[:, : SIZE // 2] = 1  # O = 24 > Y: an increase, no drop
    ones = np.ones((SIZE, SIZE), np.float32)  # O = Y: neither
    scores = confidence_scores(linear, x, [half, left, ones], keys=(0,))
    assert [(s.full_score, s.masked_score) for s in scores] == [(12, 6), (12, 24), (12, 12)]
    assert [s.average_drop for s in scores] == [50, 0, 0]
    assert [s.increase for s in scores] == [0, 100, 0]
    assert average_drop_and_increase(scores) == pytest.approx((50 / 3, 100 / 3))


def test_average_drop_rejects_maps_outside_zero_one(linear):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        confidence_scores(linear, torch.ones(1, 3, SIZE, SIZE), [np.full((SIZE, SIZE), 2.0, np.float32)], (0,))
    with pytest.raises(ValueError, match="at least one"):
        average_drop_and_increase([])
    assert ConfidenceScores(2.0, 3.0).average_drop == 0


def test_baseline_maps_are_seeded_and_centred():
    assert np.array_equal(random_map(9, 7), random_map(9, 7))
    assert random_map(9, 7).min() >= 0 and random_map(9, 7).max() < 1
    bump = centre_gaussian(21, 41)
    assert bump[10, 20] == pytest.approx(1.0)
    sigma = CENTRE_SIGMA * 21
    assert bump[10, 20 + round(sigma)] == pytest.approx(np.exp(-(round(sigma) ** 2) / (2 * sigma**2)), rel=1e-5)
    assert np.allclose(bump, bump[::-1, ::-1])
    assert set(baseline_maps(8, 8)) == {"baseline:random", "baseline:centre"}


def test_score_maps_adds_road_average_drop_and_baselines_and_exports_them(tmp_path):
    toy = toy_backbone(GapLinear(), cam=True)
    result = explain(toy, positive_input(), ["gradcam", "hirescam"])
    scores = score_maps(result)  # default settings, which scores.csv writes
    assert set(scores) == {"gradcam", "hirescam"}
    assert scores["gradcam"] is scores["hirescam"]  # the same map at a GAP + linear head: scored once
    assert isinstance(scores["gradcam"], MapScores)
    summary = scores["gradcam"].summary()
    assert summary["road_gap"] == pytest.approx(summary["road_lerf"] - summary["road_morf"])
    assert summary["deletion_auc"] == scores["gradcam"].deletion_auc
    baselines = cached_baselines(result)
    assert list(baselines) == ["baseline:random", "baseline:centre"]
    assert baselines["baseline:random"].confidence.full_score == pytest.approx(scores["gradcam"].deletion[0])
    rows = list(csv.DictReader((write_outputs(result, tmp_path)[0].parent / "scores.csv").open()))
    assert [row["method"] for row in rows] == ["gradcam", "hirescam", "baseline:random", "baseline:centre"]
    assert float(rows[0]["average_drop"]) == pytest.approx(scores["gradcam"].confidence.average_drop)
    assert {"road_morf", "road_lerf", "road_gap", "increase"} <= set(rows[0])
