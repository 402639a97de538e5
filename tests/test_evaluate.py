"""The local dataset runner (``python -m cam_methods.evaluate``): the rows it writes against the Python API,
bad files skipped and listed, a resumed run equal to an uninterrupted one, and the summary's statistics."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import replace

import numpy as np
import pyarrow.parquet as pq
import pytest
from evaluate_fixtures import ASSETS, CLASS_FOLDERS, FAST, bad_keys, good_keys, tiny_dataset

from cam_methods import MetricSettings, explain, score_maps
from cam_methods.evaluate import runner_local
from cam_methods.evaluate.__main__ import main
from cam_methods.evaluate.dataset import list_samples
from cam_methods.evaluate.run import evaluate
from cam_methods.evaluate.runner_ray import RAY_MISSING, start_ray
from cam_methods.evaluate.statistics import bootstrap_mean, compare_paired
from cam_methods.evaluate.summary import print_summary
from cam_methods.evaluate.table import read_results

ROOT = ASSETS.parent


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return tiny_dataset(tmp_path_factory.mktemp("evaluate") / "images")


@pytest.fixture(scope="module")
def finished(dataset, tmp_path_factory):
    """An uninterrupted local run of the tiny dataset: (its Parquet path, its report)."""
    out = tmp_path_factory.mktemp("run") / "run.parquet"
    return out, evaluate(dataset, out, FAST, workers=0, threads=1, show_progress=False)


def test_a_run_has_one_row_per_image_layer_method_measure_and_lists_the_bad_files(finished, lite0):
    out, report = finished
    table, settings, skipped, run = read_results(out)
    assert settings == FAST and run["engine"] == "local"
    assert sorted(skipped) == bad_keys() and all(reason.endswith(".") for reason in skipped.values())
    assert report.evaluated == len(good_keys()) + len(bad_keys())
    rows = table.to_pylist()
    assert len(rows) == len(good_keys()) * len(FAST.methods) * len(FAST.measures)
    assert sorted({row["image"] for row in rows}) == good_keys()
    for row in rows:
        assert row["true_class"] == CLASS_FOLDERS[row["image"].split("/")[0]][1] == row["target"]
        assert row["layer"] == lite0.default_layer


def test_the_rows_equal_the_python_api_on_the_same_image(finished, dataset, lite0):
    table, *_ = read_results(finished[0])
    folder, (image, true_class) = next(iter(CLASS_FOLDERS.items()))
    result = explain(lite0, dataset / folder / image, FAST.methods, target=true_class)
    expected = score_maps(result, settings=MetricSettings(steps=FAST.steps))
    rows = [row for row in table.to_pylist() if row["image"] == f"{folder}/{image}"]
    assert {row["predicted"] for row in rows} == {int(result.probs.argmax())}
    for row in rows:  # the run used one thread, this test PyTorch's default: float32 sums in another order
        assert row["value"] == pytest.approx(expected[row["method"]].summary()[row["measure"]], abs=1e-5)


def test_an_interrupted_run_resumes_to_the_same_rows(finished, dataset, tmp_path, monkeypatch):
    out = tmp_path / "resumed.parquet"
    calls = []
    real = runner_local.evaluate_image

    def interrupted_on_the_third_image(*args):
        calls.append(args[1].key)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(runner_local, "evaluate_image", interrupted_on_the_third_image)
    with pytest.raises(KeyboardInterrupt):
        evaluate(dataset, out, FAST, workers=0, threads=1, chunk=1, show_progress=False)
    monkeypatch.setattr(runner_local, "evaluate_image", real)
    (out.parent / "resumed.parquet.parts" / "part-00009.tmp").write_bytes(b"half a part, as a kill leaves it")
    report = evaluate(dataset, out, FAST, workers=0, threads=1, show_progress=False)
    assert report.evaluated == len(good_keys()) + len(bad_keys()) - 2  # the two finished before the interruption
    assert pq.read_table(out).equals(pq.read_table(finished[0]))
    assert read_results(out)[2] == read_results(finished[0])[2]


def test_a_killed_run_resumes_to_the_same_rows(finished, dataset, tmp_path):
    out = tmp_path / "killed.parquet"
    command = [sys.executable, "-m", "cam_methods.evaluate", "run", str(dataset), "--out", str(out), "--quiet"]
    command += ["--methods", *FAST.methods, "--steps", str(FAST.steps), "--target", FAST.target]
    process = subprocess.Popen([*command, "--chunk", "1", "--workers", "0", "--threads", "1"], cwd=ROOT)
    first_part = tmp_path / "killed.parquet.parts" / "part-00000.parquet"
    while not first_part.exists() and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert first_part.exists() and not out.exists()  # killed after its first image, before the merge
    evaluate(dataset, out, FAST, workers=0, threads=1, show_progress=False)
    assert pq.read_table(out).equals(pq.read_table(finished[0]))


def test_a_resume_with_other_settings_is_refused(finished, dataset):
    with pytest.raises(ValueError, match="other settings"):
        evaluate(dataset, finished[0], replace(FAST, steps=3), workers=0, threads=1)


def test_the_cli_refuses_bad_requests_in_one_line(tmp_path, capsys):
    assert main(["run", str(tmp_path / "missing"), "--out", str(tmp_path / "x.parquet")]) == 2
    assert main(["run", str(tmp_path), "--methods", "nocam"]) == 2
    assert main(["summary", str(tmp_path / "none.parquet")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("error: ") for line in lines)
    assert "neither a folder" in lines[0] and "nocam" in lines[1]


def test_the_engine_ray_without_ray_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ValueError, match="requirements-scale.txt") as refused:
        start_ray()
    assert str(refused.value) == RAY_MISSING


def test_a_list_file_reads_relative_paths_and_classes(dataset, lite0):
    listing = dataset / "list.txt"
    listing.write_text("# photos\n282/chelsea.png\ttiger cat\n\nn03063599/coffee.png\n")
    samples = list_samples(listing, lite0.labels)
    assert [(s.key, s.true_class) for s in samples] == [("282/chelsea.png", 282), ("n03063599/coffee.png", -1)]
    assert all((dataset / s.key).samefile(s.path) for s in samples)
    (dataset / "not a class").mkdir()
    (dataset / "not a class" / "x.png").write_bytes(b"")
    try:
        with pytest.raises(ValueError, match="'not a class' matches no class"):
            list_samples(dataset, lite0.labels)
    finally:
        (dataset / "not a class" / "x.png").unlink()
        (dataset / "not a class").rmdir()


def test_the_summary_prints_intervals_and_pairs_and_writes_figures(finished, tmp_path, capsys):
    written = print_summary(str(finished[0]), str(tmp_path), resamples=200)
    printed = capsys.readouterr().out
    assert "top-1 accuracy on the 3 images" in printed and "gradcam vs eigencam" in printed
    assert all(path.exists() and path.stat().st_size > 0 for path in written) and len(written) == 2


def test_the_bootstrap_interval_matches_the_normal_one_on_a_large_sample():
    values = np.random.default_rng(1).normal(2.0, 3.0, 4000)
    estimate = bootstrap_mean(values, resamples=2000, seed=0)
    half_width = 1.96 * values.std(ddof=1) / np.sqrt(values.size)
    assert estimate.value == pytest.approx(values.mean())
    assert (estimate.high - estimate.low) / 2 == pytest.approx(half_width, rel=0.1)
    assert estimate == bootstrap_mean(values, resamples=2000, seed=0)  # seeded


def test_a_paired_comparison_counts_wins_ties_and_the_direction():
    a, b = np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.2, 0.2, 0.1, 0.5])  # a lower on 2, tie on 1, higher on 1
    lower = compare_paired(a, b, lower_is_better=True, resamples=100)
    higher = compare_paired(a, b, lower_is_better=False, resamples=100)
    assert lower.win_share.value == pytest.approx(2.5 / 4) and higher.win_share.value == pytest.approx(1.5 / 4)
    assert lower.mean_gain.value == pytest.approx(np.mean(b - a))
    assert lower.win_share.low <= lower.win_share.value <= lower.win_share.high
