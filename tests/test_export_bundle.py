"""The exported bundle describes itself: the model's input, titled PNG and PDF grids, and the scores so far."""

import csv
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from cam_methods import explain
from cam_methods.explanation_metrics import cached_faithfulness, score_maps
from cam_methods.export import write_outputs, zip_outputs


@pytest.fixture(scope="module")
def explanation(lite0, chelsea_path):
    return explain(lite0, chelsea_path, ["gradcam", "finer-gradcam"])


def test_input_png_is_the_model_input_de_normalised(explanation, tmp_path):
    write_outputs(explanation, tmp_path)
    pixels = np.asarray(Image.open(tmp_path / "input.png").convert("RGB"), dtype=np.float32)
    preprocess = explanation.backbone.preprocess
    mean, std = torch.tensor(preprocess.mean).view(3, 1, 1), torch.tensor(preprocess.std).view(3, 1, 1)
    expected = ((explanation.input_tensor[0] * std + mean).clamp(0, 1) * 255).permute(1, 2, 0).numpy()
    assert pixels.shape[:2] == explanation.input_size == (224, 224)
    assert np.abs(pixels - expected).max() <= 0.5 + 1e-3  # rounding to uint8, nothing more


def test_grids_are_titled_png_and_pdf_without_blank_bands(explanation, tmp_path):
    write_outputs(explanation, tmp_path)
    pdf = (tmp_path / "grid.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and b"tiger cat" in pdf  # the title, in the PDF's metadata
    png = Image.open(tmp_path / "grid.png")
    assert "tiger cat" in png.text["Title"] and "efficientnet_lite0" in png.text["Title"]
    pixels = np.asarray(png.convert("L"))
    assert (pixels[: pixels.shape[0] // 8] < 128).any()  # the title is drawn above the panels
    blank_rows = (pixels > 250).all(axis=1).mean()
    assert blank_rows < 0.2, f"{blank_rows:.0%} of the grid's rows are blank"


def test_scores_csv_holds_only_the_scored_maps_with_their_cached_values(explanation, tmp_path):
    write_outputs(explanation, tmp_path / "before")
    assert not (tmp_path / "before" / "scores.csv").exists()
    score_maps(explanation, ["gradcam"], baselines=False)  # the baseline rows: test_confidence_and_baselines.py
    zip_outputs(explanation, tmp_path / "bundle.zip")
    with zipfile.ZipFile(tmp_path / "bundle.zip") as archive:
        assert {"input.png", "grid.png", "grid.pdf", "scores.csv", "manifest.json"} <= set(archive.namelist())
        rows = list(csv.DictReader(archive.read("scores.csv").decode().splitlines()))
    cached = cached_faithfulness(explanation, "gradcam")
    assert [row["method"] for row in rows] == ["gradcam"]
    assert float(rows[0]["deletion_auc"]) == cached.deletion_auc
    assert float(rows[0]["insertion_auc"]) == cached.insertion_auc
    assert float(rows[0]["relative_drop"]) == pytest.approx(cached.relative_drop, nan_ok=True)
