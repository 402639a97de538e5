"""Maps against each other: Spearman with averaged ties and top-15 % IoU on hand-computed examples, the
difference map, the agreement matrix and its figure."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cam_methods.agreement import agreement_figure
from cam_methods.comparison import agreement_matrix, average_ranks, compare_maps, spearman, top_iou, top_mask


def test_tied_values_get_the_mean_of_the_ranks_they_span():
    np.testing.assert_array_equal(average_ranks(np.array([5, 6, 7, 8, 7])), [1, 2, 3.5, 5, 3.5])
    np.testing.assert_array_equal(average_ranks(np.zeros((2, 2))), [2.5, 2.5, 2.5, 2.5])


def test_spearman_without_ties_is_one_minus_six_sum_d_squared_over_n_n2_minus_1():
    # d = [-1, 1, -1, 1, 0]: ρ = 1 − 6·4 / (5·24) = 0.8
    assert spearman(np.array([1, 2, 3, 4, 5]), np.array([2, 1, 4, 3, 5])) == pytest.approx(0.8)


def test_spearman_with_ties_matches_the_hand_computed_value():
    # ranks [1,2,3,4,5] and [1,2,3.5,5,3.5]: Σ dx·dy = 8, Σ dx² = 10, Σ dy² = 9.5, ρ = 8 / √95
    a, b = np.array([[1, 2, 3, 4, 5]]), np.array([[5, 6, 7, 8, 7]])
    assert spearman(a, b) == pytest.approx(8 / math.sqrt(95))


def test_spearman_sees_only_the_order_and_is_nan_for_a_constant_map():
    rng = np.random.default_rng(0)
    a = rng.random((8, 8))
    assert spearman(a, a**3) == pytest.approx(1)
    assert spearman(a, 1 - a) == pytest.approx(-1)
    assert math.isnan(spearman(a, np.zeros_like(a)))


def test_the_top_mask_keeps_the_highest_fifteen_percent_and_every_tie_at_the_threshold():
    ramp = np.arange(20.0).reshape(4, 5)  # ⌈0.15 · 20⌉ = 3 pixels
    np.testing.assert_array_equal(np.flatnonzero(top_mask(ramp)), [17, 18, 19])
    tied = ramp.copy()
    tied.flat[[16, 17]] = 17  # the third-highest value is shared by two pixels: both kept
    np.testing.assert_array_equal(np.flatnonzero(top_mask(tied)), [16, 17, 18, 19])


def test_top_iou_on_hand_made_masks():
    a = np.arange(20.0).reshape(4, 5)  # top 3: {17, 18, 19}
    b = a.copy()
    b.flat[19], b.flat[16] = 0, 19  # top 3: {16, 17, 18}
    assert top_iou(a, b) == pytest.approx(2 / 4)
    assert top_iou(a, a) == 1
    assert top_iou(a, -a) == 0  # top 3 of −a: {0, 1, 2}


def test_compare_maps_gives_the_signed_difference_and_both_numbers():
    a = np.array([[1.0, 0.5], [0.0, 0.25]], dtype=np.float32)
    b = np.array([[0.0, 0.5], [1.0, 0.25]], dtype=np.float32)
    result = compare_maps(a, b)
    np.testing.assert_array_equal(result.difference, [[1, 0], [-1, 0]])
    assert result.spearman == pytest.approx(spearman(a, b)) and result.top_iou == top_iou(a, b)
    with pytest.raises(ValueError, match="different shapes"):
        compare_maps(a, np.zeros((3, 3)))


def test_the_agreement_matrix_is_symmetric_and_matches_the_pairwise_numbers():
    rng = np.random.default_rng(1)
    maps = {"a": rng.random((6, 6)), "b": rng.random((6, 6)), "c": rng.random((6, 6)) ** 2}
    for measure, pairwise in (("spearman", spearman), ("top_iou", top_iou)):
        matrix = agreement_matrix(maps, measure)
        names = list(maps)
        for i, first in enumerate(names):
            for j, second in enumerate(names):
                assert matrix[i, j] == pytest.approx(pairwise(maps[first], maps[second]))
    with pytest.raises(ValueError, match="unknown agreement measure"):
        agreement_matrix(maps, "ssim")


def test_the_agreement_figure_writes_every_value_and_marks_a_constant_map():
    matrix = agreement_matrix({"x": np.eye(3), "flat": np.zeros((3, 3))})
    figure = agreement_figure(["x", "flat"], matrix, "Spearman ρ")
    texts = [text.get_text() for text in figure.axes[0].texts]
    assert texts == ["1.00", "n/a", "n/a", "n/a"]
