"""The CLI's ``--score``: its scores.csv equals score_maps called directly, its table, its one-line errors."""

import csv
import math

import pytest
from random_backbones import tiny_clip

import cam_methods.__main__ as cli
from cam_methods.explainer import explain
from cam_methods.explanation_metrics import cached_baselines, score_maps
from cam_methods.images import DISPLAY_SIDE, load_image
from cam_methods.metrics import MetricSettings

LABELS = ["a cat", "a dog", "a car"]


@pytest.fixture(scope="module")
def tiny():
    return tiny_clip(labels=LABELS)


def test_score_writes_the_scores_of_score_maps(tmp_path, chelsea_path, tiny, monkeypatch, capsys):
    monkeypatch.setattr(cli, "load_backbone", lambda name, weights=None: tiny)
    prompts = ["--prompts", "a cat", "--compare-prompts", "a dog"]
    args = [chelsea_path, *prompts, "--methods", "gradcam", "hirescam", "--out", str(tmp_path), "--score-steps", "3"]
    assert cli.main([*args, "--score"]) == 0
    with (tmp_path / "scores.csv").open() as handle:
        rows = {row.pop("method"): row for row in csv.DictReader(handle)}

    picture = load_image(chelsea_path, max_side=DISPLAY_SIDE)
    direct = explain(tiny, picture, ["gradcam", "hirescam"], prompts=["a cat"], compare_prompts=["a dog"])
    settings = MetricSettings(steps=3)
    expected = {**score_maps(direct, settings=settings), **cached_baselines(direct, settings)}
    assert list(rows) == ["gradcam", "hirescam", "baseline:random", "baseline:centre"] == list(expected)
    for method_id, score in expected.items():
        summary = {**score.summary(), "relative_drop": score.relative_drop}
        for column, text in rows[method_id].items():
            value, reference = float(text), summary[column]
            assert math.isnan(value) if math.isnan(reference) else value == pytest.approx(reference, rel=1e-6, abs=1e-9)
    assert len(score_maps(direct, settings=settings)["gradcam"].deletion) == 4  # N + 1 points: N = 3 was used

    table = capsys.readouterr().out.split("faithfulness (N = 3 steps")[1].splitlines()
    assert [line.split()[0] for line in table[2:]] == ["Grad-CAM", "HiResCAM", "random", "centre"]
    assert float(table[2].split()[1]) == pytest.approx(expected["gradcam"].deletion_auc, abs=1e-4)


@pytest.mark.parametrize("steps", ["0", "-3", "2.5", "abc", "201", "1e3"])
def test_bad_score_steps_exit_2_with_one_line(tmp_path, chelsea_path, capsys, steps):
    assert cli.main([chelsea_path, "--out", str(tmp_path), "--score", "--score-steps", steps]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--score-steps must be a whole number from 1 to 200" in err
    assert not (tmp_path / "scores.csv").exists()
