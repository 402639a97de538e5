"""Faithfulness metrics on a toy model whose evidence is known by construction."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from cam_methods import Faithfulness, MetricSettings, cached_faithfulness, explain, pointing_game, score_maps
from cam_methods.metrics import curve_auc, faithfulness, gaussian_blur, step_counts
from cam_methods.scoring import scorer_for
from model_zoo import Backbone, Preprocess

SIZE = 32
OBJECT = (slice(4, 16), slice(4, 16))  # class 0 reads only these pixels
RIVAL = (slice(18, 30), slice(18, 30))  # class 1 (the most similar class) reads only these
UNUSED = (slice(0, 8), slice(24, 32))  # no class reads these


class RegionModel(nn.Module):
    """``features`` = grey level; logit_0 = 8·mean(grey over OBJECT), logit_1 = 8·mean(grey over RIVAL),
    logit_2 = 0. Deleting OBJECT pixels lowers p_0; deleting RIVAL pixels raises it."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Conv2d(3, 1, 1, bias=False)
        nn.init.constant_(self.features.weight, 1 / 3)
        spatial = torch.zeros(3, SIZE, SIZE)
        spatial[0][OBJECT] = 8 / 144
        spatial[1][RIVAL] = 8 / 144
        self.register_buffer("spatial", spatial)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.features(x) * self.spatial).sum(dim=(2, 3))


@pytest.fixture(scope="module")
def toy() -> Backbone:
    return Backbone(
        name="region",
        display_name="Region toy",
        family="cnn",
        model=RegionModel(),
        preprocess=Preprocess(crop=(SIZE, SIZE), resize=None, mean=(0, 0, 0), std=(1, 1, 1)),
        layers=("features",),
        default_layer="features",
        labels=("object", "rival", "nothing"),
    )


def region_map(region: tuple[slice, slice]) -> np.ndarray:
    input_map = np.zeros((SIZE, SIZE), dtype=np.float32)
    input_map[region] = 1
    return input_map


def textured_input(seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return 0.5 + torch.rand(1, 3, SIZE, SIZE, generator=generator)


def test_auc_of_a_constant_curve_is_that_score():
    assert curve_auc(np.full(11, 0.37)) == pytest.approx(0.37)
    assert curve_auc([1.0, 0.0]) == pytest.approx(0.5)  # a straight line from 1 to 0
    assert curve_auc([0.0, 1.0, 1.0, 1.0, 0.0]) == pytest.approx(0.75)


def test_step_counts_cover_none_to_all_pixels():
    counts = step_counts(1000, 7)
    assert counts[0] == 0 and counts[-1] == 1000 and len(counts) == 8
    assert torch.all(counts[1:] > counts[:-1])


def test_blur_keeps_a_constant_image_and_smooths_a_spike():
    flat = torch.full((1, 3, 20, 20), 0.7)
    assert torch.allclose(gaussian_blur(flat), flat)
    spike = torch.zeros(1, 1, 21, 21)
    spike[0, 0, 10, 10] = 1
    blurred = gaussian_blur(spike)
    assert blurred.sum() == pytest.approx(1.0, abs=1e-5)
    assert blurred.max() < 0.05


def perfect_random_inverted(toy: Backbone, x: torch.Tensor, seed: int) -> dict[str, Faithfulness]:
    """Metrics of the map that is 1 on OBJECT, of a random map, and of 1 − the first."""
    perfect = region_map(OBJECT)
    maps = {
        "perfect": perfect,
        "random": np.random.default_rng(seed).random((SIZE, SIZE), dtype=np.float32),
        "inverted": 1 - perfect,
    }
    return faithfulness(toy, x, maps, keys=(0, 1), settings=MetricSettings(steps=16))


def test_deletion_ranks_perfect_below_random_below_inverted(toy):
    result = perfect_random_inverted(toy, torch.ones(1, 3, SIZE, SIZE), seed=0)
    assert result["perfect"].deletion_auc < result["random"].deletion_auc < result["inverted"].deletion_auc


def test_insertion_ranks_perfect_above_random_above_inverted(toy):
    x = torch.zeros(1, 3, SIZE, SIZE)
    x[..., OBJECT[0], OBJECT[1]] = 1
    x[..., RIVAL[0], RIVAL[1]] = 1
    result = perfect_random_inverted(toy, x, seed=1)
    assert result["perfect"].insertion_auc > result["random"].insertion_auc > result["inverted"].insertion_auc


def test_curves_match_inputs_built_by_hand(toy):
    """Step k of deletion fills the k/N top pixels with 0; step k of insertion reveals them on the blur."""
    x = textured_input()
    input_map = np.random.default_rng(2).permutation(SIZE * SIZE).reshape(SIZE, SIZE) / (SIZE * SIZE)
    steps = 4
    result = faithfulness(toy, x, {"m": input_map}, keys=(0, 1), settings=MetricSettings(steps=steps))["m"]
    top_first = np.argsort(-input_map, axis=None)
    blurred = gaussian_blur(x)
    for k in range(steps + 1):
        chosen = np.zeros(SIZE * SIZE, dtype=bool)
        chosen[top_first[: round(k * SIZE * SIZE / steps)]] = True
        chosen = torch.from_numpy(chosen.reshape(SIZE, SIZE))
        with torch.no_grad():
            deleted = toy.model(torch.where(chosen, 0.0, x)).softmax(-1)[0, 0]
            inserted = toy.model(torch.where(chosen, x, blurred)).softmax(-1)[0, 0]
        assert result.deletion[k] == pytest.approx(float(deleted), abs=1e-6)
        assert result.insertion[k] == pytest.approx(float(inserted), abs=1e-6)


def test_rd_is_zero_when_the_mask_touches_nothing_the_model_uses(toy):
    x = textured_input()
    settings = MetricSettings(steps=4, rd_fraction=0.05)
    maps = {"unused": region_map(UNUSED), "object": region_map(OBJECT), "rival": region_map(RIVAL)}
    result = faithfulness(toy, x, maps, keys=(0, 1), settings=settings)
    assert result["unused"].relative_drop == pytest.approx(0.0, abs=1e-7)
    assert result["object"].target_drop > 0 and result["object"].relative_drop > 0
    assert result["rival"].reference_drop > 0 and result["rival"].relative_drop < 0


def test_rd_fill_value_is_a_parameter(toy):
    x = textured_input()
    maps = {"object": region_map(OBJECT)}
    same_as_image = faithfulness(toy, x, maps, keys=(0, 1), settings=MetricSettings(steps=2, fill=1.0))
    zeros = faithfulness(toy, x, maps, keys=(0, 1), settings=MetricSettings(steps=2, fill=0.0))
    assert zeros["object"].relative_drop > same_as_image["object"].relative_drop


def test_without_a_reference_rd_is_nan(toy):
    result = faithfulness(toy, textured_input(), {"o": region_map(OBJECT)}, keys=(0,), settings=MetricSettings(2))
    assert math.isnan(result["o"].relative_drop) and result["o"].target_drop > 0


def test_batched_and_one_at_a_time_metrics_agree_and_are_cached(toy):
    methods = ["gradcam", "hirescam", "layercam", "finer-hirescam"]
    x = textured_input(3)
    settings = MetricSettings(steps=6)
    together = explain(toy, x, methods)
    batched = score_maps(together, settings=settings, batch_size=5)
    assert set(batched) == set(methods)
    assert batched["hirescam"].deletion[0] == pytest.approx(float(together.probs[together.target]), abs=1e-6)
    for method_id in methods:
        alone = score_maps(explain(toy, x, methods), [method_id], settings, batch_size=1)[method_id]
        np.testing.assert_allclose(alone.deletion, batched[method_id].deletion, atol=1e-6)
        np.testing.assert_allclose(alone.insertion, batched[method_id].insertion, atol=1e-6)
        assert alone.relative_drop == pytest.approx(batched[method_id].relative_drop, abs=1e-6)
    assert score_maps(together, ["gradcam"], settings)["gradcam"] is batched["gradcam"]
    retuned = together.with_gamma(1.5)
    assert cached_faithfulness(retuned, "gradcam", settings) is batched["gradcam"]
    assert cached_faithfulness(retuned, "finer-hirescam", settings) is None  # a new map at the new γ
    rescored = score_maps(retuned, ["finer-hirescam"], settings)["finer-hirescam"]
    assert cached_faithfulness(together, "finer-hirescam", settings) is batched["finer-hirescam"]  # the old γ's entry
    assert cached_faithfulness(retuned.with_gamma(1.5), "finer-hirescam", settings) is rescored  # the cache is shared


def test_metrics_for_an_absent_map_say_which_maps_exist(toy):
    result = explain(toy, textured_input(), ["gradcam"])
    with pytest.raises(KeyError, match="gradcam"):
        score_maps(result, ["hirescam"])


def test_pointing_game_allows_15_pixels():
    saliency = np.zeros((100, 100), dtype=np.float32)
    saliency[50, 50] = 1
    assert pointing_game(saliency, boxes=[(40, 40, 60, 60)])
    assert pointing_game(saliency, boxes=[(61, 50, 70, 60)])  # 11 px to the right of the box
    assert not pointing_game(saliency, boxes=[(66, 50, 70, 60)])  # 16 px away
    assert not pointing_game(saliency, boxes=[(62, 62, 70, 70)], tolerance=15)  # √(12² + 12²) ≈ 17 px
    mask = np.zeros((100, 100), dtype=bool)
    mask[50, 64] = True
    assert pointing_game(saliency, mask=mask)
    assert not pointing_game(saliency, mask=mask, tolerance=10)
    assert not pointing_game(np.zeros((100, 100)), boxes=[(0, 0, 100, 100)])


def test_all_maps_are_scored_in_shared_batches_and_equal_maps_once(toy):
    x = textured_input()
    scorer_for(toy).only().plan(x.shape[1:])  # the eager path (the hooked model), measured before counting
    calls = []
    handle = toy.model.register_forward_hook(lambda module, inputs, output: calls.append(len(inputs[0])))
    maps = {
        "object": region_map(OBJECT),
        "object again": region_map(OBJECT) + 1e-7,
        "rival": region_map(RIVAL),
        "unused": region_map(UNUSED),
    }
    try:
        result = faithfulness(toy, x, maps, keys=(0, 1), settings=MetricSettings(steps=4), batch_size=64)
    finally:
        handle.remove()
    assert calls == [3 + 3 * (2 * 4 - 1)]  # one model call: 3 shared inputs + 7 per distinct map
    assert result["object again"] is result["object"]
