"""The CLI end to end, and its one-line errors with exit code 2."""

import json
import subprocess
import sys

import numpy as np
import pytest

from cam_methods.__main__ import main


def test_cli_writes_overlays_maps_grid_and_manifest(tmp_path, chelsea_path, capsys):
    out = tmp_path / "out"
    code = main([chelsea_path, "--methods", "gradcam", "hirescam", "finer-gradcam", "--out", str(out)])
    assert code == 0
    for name in ("gradcam.png", "hirescam.png", "finer-gradcam.png", "grid.png", "maps.npz", "manifest.json"):
        assert (out / name).stat().st_size > 0, name
    maps = np.load(out / "maps.npz")
    assert set(maps.files) == {"gradcam", "hirescam", "finer-gradcam"} and maps["gradcam"].shape == (224, 352)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["target"]["label"] == "Egyptian cat"  # on the whole picture; tiger cat is second
    assert len(manifest["references"]) == 3 and manifest["parameters"]["finer_gamma"] == 0.6
    assert manifest["versions"]["torch"] and set(manifest["timings_ms"]) >= {"capture", "gradcam"}
    assert "Egyptian cat" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--methods", "nope"], "unknown method"),
        (["--backbone", "nope"], "unknown backbone"),
        (["--target", "flying teapot"], "unknown class"),
    ],
)
def test_cli_rejects_bad_options(tmp_path, chelsea_path, capsys, args, message):
    assert main([chelsea_path, "--out", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_cli_rejects_missing_files_and_non_images(tmp_path, capsys):
    not_image = tmp_path / "notes.png"
    not_image.write_text("hello")
    assert main([str(tmp_path / "missing.png"), "--out", str(tmp_path)]) == 2
    assert main([str(not_image), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("error: No image file") and "not an image" in err[1]


def test_python_dash_m_entry_point(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "cam_methods", str(tmp_path / "missing.png")], capture_output=True, text=True
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr and "No image file" in result.stderr
