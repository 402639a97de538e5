"""The runner's extra measures (ROAD, Average Drop / Increase) and baseline maps, which benchmarks/faithfulness.py
reads: rows equal to the Python API's, the baselines and FGVis at the first layer only, the summary's order and
its chosen pairs."""

from __future__ import annotations

import shutil

import pytest
from evaluate_fixtures import ASSETS

from cam_methods import MetricSettings, cached_baselines, explain, score_maps
from cam_methods.evaluate.run import evaluate
from cam_methods.evaluate.summary import paired_comparisons, results_frame
from cam_methods.evaluate.work import MEASURES, RunSettings, methods_at

BASELINES = ("baseline:random", "baseline:centre")


@pytest.fixture(scope="module")
def settings(lite0):
    earlier = lite0.layers[list(lite0.layers).index(lite0.default_layer) - 2]
    return RunSettings(
        backbone="efficientnet_lite0", methods=("gradcam",), layers=(lite0.default_layer, earlier),
        measures=tuple(MEASURES), steps=2, baselines=True,
    )  # fmt: skip


@pytest.fixture(scope="module")
def run(settings, tmp_path_factory):
    """One photo evaluated with every measure at two layers, with the baselines: its Parquet path."""
    folder = tmp_path_factory.mktemp("measures") / "images"
    folder.mkdir()
    shutil.copy(ASSETS / "chelsea.png", folder / "chelsea.png")
    out = folder.parent / "run.parquet"
    evaluate(folder, out, settings, workers=0, threads=1, show_progress=False)
    return out


def test_every_measure_of_the_methods_and_baselines_equals_the_python_api(run, settings, lite0):
    frame, *_ = results_frame(run)
    first, second = settings.layers
    assert set(frame[frame["layer"] == first]["method"]) == {"gradcam", *BASELINES}
    assert set(frame[frame["layer"] == second]["method"]) == {"gradcam"}  # the baselines at the first layer only
    for layer in settings.layers:
        rows = frame[frame["layer"] == layer]
        assert sorted(rows["measure"].astype(str)) == sorted(list(MEASURES) * rows["method"].nunique())
    metric_settings = MetricSettings(steps=settings.steps)
    result = explain(lite0, ASSETS / "chelsea.png", ["gradcam"], layer=first)
    expected = score_maps(result, settings=metric_settings)
    expected.update(cached_baselines(result, metric_settings))
    for row in frame[frame["layer"] == first].itertuples():  # Average Drop is in %: a relative tolerance too
        assert row.value == pytest.approx(expected[row.method].summary()[row.measure], rel=1e-5, abs=1e-5)


def test_the_summary_keeps_the_run_order_and_compares_only_the_pairs_asked(run, settings):
    frame, *_ = results_frame(run)
    assert list(frame["layer"].cat.categories) == list(settings.layers)  # not alphabetical: bn2 before blocks.5
    assert list(frame["method"].cat.categories) == ["gradcam", *BASELINES]
    comparisons = paired_comparisons(frame, 50, 0, pairs=[("gradcam", "baseline:random"), ("fgvis", "gradcam")])
    assert set(comparisons) == {(settings.layers[0], m, "gradcam", "baseline:random") for m in MEASURES}
    values = {(row.layer, row.method, row.measure): row.value for row in frame.itertuples()}
    for (layer, measure, first, second), result in comparisons.items():
        gain = values[layer, first, measure] - values[layer, second, measure]  # one photo: the gain is its own
        gain = -gain if MEASURES[measure] == "lower" else gain
        assert result.mean_gain.value == pytest.approx(gain)
        assert result.win_share.value == (1.0 if gain > 0 else 0.0 if gain < 0 else 0.5)


def test_fgvis_which_does_not_use_the_layer_runs_at_the_first_layer_only():
    assert methods_at(("gradcam", "fgvis", "scorecam"), first_layer=True) == ["gradcam", "fgvis", "scorecam"]
    assert methods_at(("gradcam", "fgvis", "scorecam"), first_layer=False) == ["gradcam", "scorecam"]
    assert methods_at(("fgvis",), first_layer=False) == []
