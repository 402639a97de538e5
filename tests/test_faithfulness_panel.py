"""The Faithfulness panel: every measure per row with the best marked, the baseline rows, the curves and the
deletion thumbnails, on a toy model."""

from __future__ import annotations

import numpy as np
import pytest
from toy_models import FlattenLinear, positive_input, toy_backbone

from cam_methods import explain, score_maps
from studio import faithfulness_panel
from studio.faithfulness_curves import deleted_thumbnail
from studio.tiles import tiles_of


@pytest.fixture(scope="module")
def tiles():
    result = explain(toy_backbone(FlattenLinear(), cam=False), positive_input(), ["gradcam", "hirescam"])
    score_maps(result)
    return tiles_of(result)


def test_table_marks_the_best_value_of_each_column_and_ends_with_the_baselines(tiles):
    rows = faithfulness_panel.table_rows(tiles)
    assert [row[0] for row in rows] == [
        "Grad-CAM",
        "HiResCAM",
        "random map (baseline)",
        "centre Gaussian (baseline)",
    ]
    assert all(len(row) == len(faithfulness_panel.HEADERS) for row in rows)
    for column, measure in enumerate(faithfulness_panel.MEASURES, start=1):
        cells = [row[column] for row in rows]
        marked = [cell for cell in cells if cell.endswith(faithfulness_panel.BEST)]
        if measure.key == "increase":
            assert set(cells) <= {"yes", "no", "yes ★"}
            continue
        values = [float(cell.removesuffix(faithfulness_panel.BEST)) for cell in cells]
        best = max(values) if measure.higher_is_better else min(values)
        assert all(float(cell.removesuffix(faithfulness_panel.BEST)) == best for cell in marked)
        assert bool(marked) == (len(set(values)) > 1)
        assert all(len(cell.removesuffix(faithfulness_panel.BEST).split(".")[-1]) == measure.decimals for cell in cells)
    assert len(faithfulness_panel.MEASURES) == faithfulness_panel.NOTES.count("\n- ")


def test_curves_are_four_small_multiples_with_dashed_baselines_and_three_thumbnails(tiles):
    figure = faithfulness_panel.curves_figure(tiles)
    axes = [axis for sub in figure.subfigs for axis in sub.axes]
    assert "ROAD gap" in " ".join(text.get_text() for text in figure.subfigs[2].texts)  # the sentences
    curves, thumbnails = axes[:4], axes[4:]
    assert len(curves) == 4 and len(thumbnails) == 3
    for axis in curves:
        styles = [line.get_linestyle() for line in axis.get_lines()]
        assert styles == ["-", "-", "--", ":"]
    assert faithfulness_panel.curves_figure([]) is None


def test_thumbnail_greys_out_the_top_pixels_of_the_map(tiles):
    tile = tiles[0]
    half = deleted_thumbnail(tile, 0.5)
    top = tile.explanation.maps[tile.method_id] >= np.median(tile.explanation.maps[tile.method_id])
    greyed = np.all(half == 0, axis=-1)  # the toy's normalisation has mean 0: a deleted pixel is black
    assert greyed.sum() == round(0.5 * greyed.size)
    assert (greyed & top).sum() >= 0.9 * greyed.sum()
