"""Issue #11 at the handler level: disk and memory per visitor are bounded, runs are never swapped, and
NaN never reaches a map."""

from __future__ import annotations

import json
import math
import threading
import zipfile
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
from PIL import Image
from random_backbones import tiny_clip_spec

from cam_methods import METHODS, explain
from model_zoo import register_backbone
from studio import display_handlers, handlers, session
from studio.limits import MAX_FILES_PER_SESSION
from studio.session import STORE

DISPLAY = ("jet", 0.5, False)
QUIET = lambda *args, **kwargs: None  # noqa: E731  (a progress callback that shows nothing)


def run(request, image: str, methods=("gradcam", "finer-gradcam"), target: str = "top1", gamma: float = 0.6):
    return handlers.on_run(image, "efficientnet_lite0", list(methods), target, "", "", None, gamma, 3, *DISPLAY,
                           request, QUIET)  # fmt: skip


def files_in(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def test_a_flood_of_distinct_gammas_keeps_one_file_per_slider_step_and_map(chelsea_path):
    request = SimpleNamespace(session_hash="gamma-flood")
    run(request, chelsea_path)
    folder = STORE.get("gamma-flood").files.folder
    for gamma in np.random.default_rng(0).uniform(0, 2, 300):
        display_handlers.on_gamma(float(gamma), *DISPLAY, "gradcam", "finer-gradcam", request)
    # one Grad-CAM overlay, and one Finer overlay per slider step (γ is rounded to 0.05): 41 at most, not 300
    assert len(files_in(folder)) <= 1 + 41 <= MAX_FILES_PER_SESSION
    STORE.discard("gamma-flood")
    assert not folder.exists()


def test_only_the_most_recent_sessions_keep_results_and_the_others_files_are_deleted(chelsea_path, monkeypatch):
    monkeypatch.setattr(session, "MAX_SESSIONS_WITH_RESULTS", 3)
    names = [f"crowd-{number}" for number in range(6)]
    for name in names:
        run(SimpleNamespace(session_hash=name), chelsea_path, methods=["gradcam"])
    kept = [name for name in names if STORE.get(name).explanation is not None]
    assert kept == names[3:]
    for name in names[:3]:
        dropped = STORE.get(name)
        assert not files_in(dropped.files.folder) and "dropped" in dropped.note
        gallery, summary, _ = display_handlers.on_gamma(1.0, *DISPLAY, None, None, SimpleNamespace(session_hash=name))
        assert gallery == [] and "press Explain" in summary
    for name in names:
        STORE.discard(name)


def test_a_display_result_of_an_older_run_is_dropped_once_a_newer_run_began(chelsea_path):
    request = SimpleNamespace(session_hash="race")
    run(request, chelsea_path, target="282")
    visitor = STORE.get("race")
    shown = visitor.explanation
    newer, _ = visitor.begin_run()  # Explain pressed again: run 2 is computing
    answer = display_handlers.on_gamma(1.5, *DISPLAY, None, None, request)
    assert all(isinstance(part, type(gr.skip())) for part in answer)
    assert visitor.explanation is shown  # the slider did not write run 1's results back
    assert not visitor.install(newer - 1, shown)  # a late older run never replaces a newer one
    STORE.discard("race")


def test_concurrent_slider_and_explain_never_fail_and_end_on_the_last_run(chelsea_path):
    request = SimpleNamespace(session_hash="concurrent")
    errors: list[BaseException] = []
    targets = ["282", "285"]

    def slide() -> None:
        for gamma in np.linspace(0, 2, 40):
            try:
                display_handlers.on_gamma(float(gamma), *DISPLAY, None, None, request)
            except BaseException as error:  # noqa: BLE001  (collected and checked below)
                errors.append(error)

    for round_number in range(6):
        slider = threading.Thread(target=slide)
        slider.start()
        run(
            request,
            chelsea_path,
            methods=["gradcam", "finer-gradcam", "finer-hirescam"],
            target=targets[round_number % 2],
        )
        slider.join()
        assert STORE.get("concurrent").explanation.target == int(targets[round_number % 2])
    assert not errors, errors[:3]
    STORE.discard("concurrent")


@pytest.mark.parametrize("gamma", [math.nan, math.inf, -0.1, 2.5, "1"])
def test_a_bad_gamma_is_one_sentence_everywhere(chelsea_path, lite0, gamma):
    request = SimpleNamespace(session_hash="bad-gamma")
    run(request, chelsea_path)
    with pytest.raises(gr.Error, match="strength γ"):
        display_handlers.on_gamma(gamma, *DISPLAY, None, None, request)
    with pytest.raises(gr.Error, match="strength γ"):
        run(request, chelsea_path, gamma=gamma)
    if gamma != 2.5:  # the engine allows up to 10; the app's slider stops at 2
        with pytest.raises(ValueError, match="strength γ"):
            explain(lite0, chelsea_path, ["finer-gradcam"], finer_gamma=gamma)
    STORE.discard("bad-gamma")


@pytest.mark.parametrize("opacity", [math.nan, -1, 2])
def test_a_bad_opacity_is_one_sentence(chelsea_path, opacity):
    request = SimpleNamespace(session_hash="bad-opacity")
    run(request, chelsea_path)
    with pytest.raises(gr.Error, match="opacity"):
        display_handlers.on_display("jet", opacity, False, None, None, request)
    STORE.discard("bad-opacity")


def test_downloads_leave_one_zip_per_setting_and_no_unzipped_folders(chelsea_path):
    request = SimpleNamespace(session_hash="downloads")
    run(request, chelsea_path)
    first = display_handlers.on_download("jet", 0.5, request)
    again = display_handlers.on_download("jet", 0.5, request)
    assert first == again
    with zipfile.ZipFile(first) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["parameters"]["finer_gamma"] == 0.6
    run(request, chelsea_path)
    folder = STORE.get("downloads").files.folder
    assert not Path(first).exists() and not [path for path in folder.iterdir() if path.is_dir()]
    STORE.discard("downloads")


def test_an_image_at_the_aspect_limit_is_explained_after_the_display_shrink(tmp_path):
    path = tmp_path / "wide.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (100, 1200, 3), dtype=np.uint8)).save(path)
    request = SimpleNamespace(session_hash="wide")
    handlers.on_image(str(path), "efficientnet_lite0", request)
    gallery, *_ = run(request, str(path), methods=["gradcam"])
    assert len(gallery) == 1
    STORE.discard("wide")


def test_too_many_maps_at_once_are_refused_before_any_model_work(chelsea_path):
    register_backbone(tiny_clip_spec("test-clip-bounds"))
    prompts = "; ".join(f"a photo of {name}" for name in "abc")
    with pytest.raises(gr.Error, match="more than 48 maps"):
        handlers.on_run(chelsea_path, "test-clip-bounds", list(METHODS), "top1", prompts, "", None,
                        0.6, 3, *DISPLAY, SimpleNamespace(session_hash="many"), QUIET)  # fmt: skip
    assert STORE.get("many").started == 0
