"""The bundle of a sweep and of a panel: ``--layers`` writes the per-layer overlays and the methods × layers
grid; the manifest and ``agreement.csv`` hold the agreement matrix, equal to the comparison functions'."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from cam_methods.__main__ import main
from cam_methods.comparison import spearman, top_iou

METHODS = ["gradcam", "hirescam", "layercam"]


def test_cli_layers_writes_every_layer_and_the_grid_and_the_agreement(tmp_path, chelsea_path, capsys):
    out = tmp_path / "out"
    assert main([chelsea_path, "--methods", *METHODS, "--layers", "bn2", "blocks.5", "--out", str(out)]) == 0
    for layer in ("blocks.5", "bn2"):
        for method_id in METHODS:
            assert (out / "layers" / layer / f"{method_id}.png").stat().st_size > 0
    assert (out / "layers_grid.png").stat().st_size > 0 and (out / "agreement.png").stat().st_size > 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["layers"] == ["blocks.5", "bn2"] and manifest["parameters"]["layer"] == "bn2"
    maps = np.load(out / "maps.npz")
    agreement = manifest["agreement"]
    assert agreement["methods"] == METHODS
    for i, first in enumerate(METHODS):
        for j, second in enumerate(METHODS):
            assert agreement["spearman"][i][j] == pytest.approx(spearman(maps[first], maps[second]))
            assert agreement["top_iou"][i][j] == pytest.approx(top_iou(maps[first], maps[second]))
    with (out / "agreement.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["method_a"], row["method_b"]) for row in rows] == [
        ("gradcam", "hirescam"), ("gradcam", "layercam"), ("hirescam", "layercam"),
    ]  # fmt: skip
    assert float(rows[1]["spearman"]) == pytest.approx(agreement["spearman"][0][2])


def test_cli_rejects_an_unknown_layer_in_one_line(tmp_path, chelsea_path, capsys):
    assert main([chelsea_path, "--layers", "blocks.9", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "has no layer 'blocks.9'" in err and err.count("\n") == 1
