"""Identical-map detection: the quick check on a sample of pixels never changes the answer of the full one."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from studio.coincide import TOLERANCE, groups, same_map
from studio.tiles import Tile


def tiles_for(maps: dict[str, np.ndarray]) -> list[Tile]:
    explanation = SimpleNamespace(maps=maps)  # same_map reads only the maps of one shared Explanation
    return [Tile(key, explanation, key) for key in maps]


def test_a_difference_off_the_sampled_pixels_still_makes_two_maps_different():
    base = np.random.default_rng(0).random((224, 352)).astype(np.float32)
    off_grid, on_grid, close = base.copy(), base.copy(), base + TOLERANCE / 4
    off_grid[101, 203] += 10 * TOLERANCE  # neither index is a multiple of 8
    on_grid[96, 200] += 10 * TOLERANCE
    a, b, c, d = tiles_for({"a": base, "b": off_grid, "c": on_grid, "d": close})
    assert not same_map(a, b) and not same_map(a, c)
    assert same_map(a, d)  # within the tolerance


def test_groups_match_a_brute_force_pairwise_comparison():
    rng = np.random.default_rng(1)
    first, second = rng.random((14, 22)), rng.random((14, 22))
    maps = {"a": first, "b": second, "c": first.copy(), "d": second + TOLERANCE / 2, "e": rng.random((14, 22))}
    tiles = tiles_for(maps)
    found = [[tile.key for tile in group] for group in groups(tiles)]
    assert found == [["a", "c"], ["b", "d"], ["e"]]
    for x in tiles:  # the reference: the full-map formula on every pair
        for y in tiles:
            expected = float(np.abs(maps[x.key] - maps[y.key]).max()) < TOLERANCE
            assert same_map(x, y) == expected
