"""ROAD: noisy linear imputation against hand-computed values and a dense NumPy solve; curves on a toy model."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from toy_models import raw_score_backbone

from cam_methods.metrics import pixel_ranks
from cam_methods.road import RoadSettings, linear_impute, noisy_linear_impute, road_scores
from model_zoo import Backbone

DIRECT, DIAGONAL = 1 / 6, 1 / 12


def test_one_removed_pixel_takes_the_weighted_mean_of_its_neighbours():
    x = torch.arange(16, dtype=torch.float32).view(1, 1, 4, 4) ** 2  # not linear, so weights matter
    removed = torch.zeros(1, 1, 4, 4, dtype=torch.bool)
    removed[0, 0, 1, 2] = True
    removed[0, 0, 3, 0] = True  # a corner: only 3 neighbours inside the image
    v = x[0, 0]
    inner = DIRECT * (v[0, 2] + v[2, 2] + v[1, 1] + v[1, 3]) + DIAGONAL * (v[0, 1] + v[0, 3] + v[2, 1] + v[2, 3])
    corner = (DIRECT * (v[2, 0] + v[3, 1]) + DIAGONAL * v[2, 1]) / (2 * DIRECT + DIAGONAL)
    imputed = linear_impute(x, removed, iterations=2)  # two unknowns: CG is exact after two steps
    assert float(imputed[0, 0, 1, 2]) == pytest.approx(float(inner), rel=1e-5)
    assert float(imputed[0, 0, 3, 0]) == pytest.approx(float(corner), rel=1e-5)
    assert torch.equal(imputed[~removed.expand_as(x)], x[~removed.expand_as(x)])  # kept pixels untouched


def dense_solution(image: np.ndarray, removed: np.ndarray) -> np.ndarray:
    """The same system built entry by entry and solved by np.linalg.solve: x_i·Σw = Σ w_ij x_j."""
    height, width = image.shape
    unknown = list(zip(*np.nonzero(removed), strict=True))
    index = {pixel: n for n, pixel in enumerate(unknown)}
    matrix = np.zeros((len(unknown), len(unknown)))
    rhs = np.zeros(len(unknown))
    for (i, j), row in index.items():
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                a, b = i + di, j + dj
                if (di, dj) == (0, 0) or not (0 <= a < height and 0 <= b < width):
                    continue
                weight = DIAGONAL if di and dj else DIRECT
                matrix[row, row] += weight
                if removed[a, b]:
                    matrix[row, index[(a, b)]] -= weight
                else:
                    rhs[row] += weight * image[a, b]
    filled = image.copy()
    filled[removed] = np.linalg.solve(matrix, rhs)[[index[p] for p in zip(*np.nonzero(removed), strict=True)]]
    return filled


@pytest.mark.parametrize("size", [7, 40])  # 40: started from the half-size solve
def test_many_removed_pixels_solve_the_linear_system(size):
    rng = np.random.default_rng(size)
    image = rng.random((size, size))
    removed = rng.random((size, size)) < 0.4
    removed[size // 4 : size // 2, size // 4 : size // 2] = True  # one wide hole too
    imputed = linear_impute(
        torch.from_numpy(image).float().view(1, 1, size, size), torch.from_numpy(removed).view(1, 1, size, size), 150
    )
    np.testing.assert_allclose(imputed[0, 0].numpy(), dense_solution(image, removed), atol=2e-4)


def test_noise_lands_on_the_removed_pixels_only_and_is_seeded():
    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    removed = torch.zeros(2, 1, 32, 32, dtype=torch.bool)
    removed[:, :, 8:24, 8:24] = True
    clean = linear_impute(x, removed, 10)
    noisy = noisy_linear_impute(x, removed, noise=0.1, iterations=10, seeds=[3, 4])
    difference = noisy - clean
    assert torch.all(difference[~removed.expand_as(x)] == 0)
    assert float(difference[removed.expand_as(x)].std()) == pytest.approx(0.1, rel=0.1)
    assert torch.equal(noisy, noisy_linear_impute(x, removed, noise=0.1, iterations=10, seeds=[3, 4]))


def test_a_batched_solve_equals_solving_each_image_alone():
    generator = torch.Generator().manual_seed(1)
    x = torch.rand(1, 3, 40, 48, generator=generator)  # 40 px: the half-size start is batched too
    removed = torch.rand(4, 1, 40, 48, generator=generator) < torch.tensor([0.1, 0.4, 0.7, 0.9]).view(4, 1, 1, 1)
    seeds = [5, 6, 7, 8]
    batched = noisy_linear_impute(x.expand(4, -1, -1, -1), removed, 0.05, 10, seeds)
    for image, seed in enumerate(seeds):
        alone = noisy_linear_impute(x, removed[image : image + 1], 0.05, 10, [seed])
        torch.testing.assert_close(batched[image : image + 1], alone, rtol=0, atol=1e-5)


SIZE = 32
OBJECT = (slice(8, 20), slice(8, 20))


class ObjectMean(nn.Module):
    """One score: the mean grey level over OBJECT (and a constant second output)."""

    def __init__(self) -> None:
        super().__init__()
        self.grey = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        score = self.grey(x).mean(1)[:, OBJECT[0], OBJECT[1]].mean((-2, -1))
        return torch.stack([score, torch.zeros_like(score)], dim=1)


@pytest.fixture(scope="module")
def toy() -> Backbone:
    return raw_score_backbone(ObjectMean(), SIZE, "grey", ("object", "nothing"))


def test_morf_and_lerf_rank_a_perfect_map_above_a_random_one_and_match_inputs_built_by_hand(toy):
    x = torch.zeros(1, 3, SIZE, SIZE)
    x[..., OBJECT[0], OBJECT[1]] = 1  # a bright object on black: imputing it from its surround darkens it
    perfect = np.zeros((SIZE, SIZE), np.float32)
    perfect[OBJECT] = 1
    maps = [perfect, np.random.default_rng(0).random((SIZE, SIZE), dtype=np.float32), 1 - perfect]
    settings = RoadSettings(fractions=(0.1, 0.5), noise=0.0)
    good, random, inverted = road_scores(toy, x, [pixel_ranks(m) for m in maps], (0,), settings, batch_size=3)
    assert good.road_morf < random.road_morf < inverted.road_morf
    assert good.road_gap > random.road_gap > inverted.road_gap
    removed = (pixel_ranks(maps[1]) < round(0.5 * SIZE * SIZE)).view(1, 1, SIZE, SIZE)
    by_hand = ObjectMean()(noisy_linear_impute(x, removed, 0.0, settings.iterations))[0, 0]
    assert random.morf[1] == pytest.approx(float(by_hand), abs=1e-6)
