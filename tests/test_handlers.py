"""The app's handlers called directly: Stop really stops the computation, errors become one clean sentence."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from cam_methods import explain, fgvis_image
from studio import handlers, views
from studio.session import STORE
from studio.tiles import tiles_of

DISPLAY = ("jet", 0.5, False)


def run_fgvis(image_path: str, request: SimpleNamespace, progress) -> tuple:
    return handlers.on_run(
        image_path, "efficientnet_lite0", ["fgvis"], "top1", "", "", None, 0.6, 3, *DISPLAY, request, progress
    )


def test_stop_ends_a_running_fgvis_long_before_it_would_finish_and_says_stopped(chelsea_path):
    request = SimpleNamespace(session_hash="stop-test")
    steps: list[str] = []
    started = threading.Event()

    def progress(fraction: float, desc: str = "") -> None:
        steps.append(desc)
        if len(steps) == 3:
            started.set()

    outcome: list = []

    def worker() -> None:
        try:
            outcome.append(run_fgvis(chelsea_path, request, progress))
        except BaseException as error:  # noqa: BLE001  (the outcome is inspected below)
            outcome.append(error)

    thread = threading.Thread(target=worker)
    thread.start()
    assert started.wait(60), "FGVis never reported progress"
    handlers.on_stop(request)
    thread.join(60)
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], tuple), outcome
    gallery, _, summary, *_ = outcome[0]
    assert gallery == [] and "Stopped — 0 of 1 maps done" in summary
    fgvis_steps = [desc for desc in steps if desc.startswith("FGVis: step")]
    assert len(fgvis_steps) < 20, f"FGVis went on for {len(fgvis_steps)} steps after Stop"  # it converges at ~67


def test_a_new_run_of_the_same_session_is_not_stopped_by_an_earlier_stop(chelsea_path):
    request = SimpleNamespace(session_hash="stale-stop")
    handlers.on_stop(request)
    gallery, *_ = handlers.on_run(
        chelsea_path, "efficientnet_lite0", ["gradcam"], "top1", "", "", None, 0.6, 3, *DISPLAY,
        request, lambda *args, **kwargs: None,
    )  # fmt: skip
    assert len(gallery) == 1


def test_only_zoo_backbones_can_be_loaded(chelsea_path):
    """The API can send any string, bypassing the dropdown: it must never reach a model loader."""
    with pytest.raises(gr.Error, match="unknown backbone '../../etc/passwd'"):
        handlers.on_image(chelsea_path, "../../etc/passwd", SimpleNamespace(session_hash="zoo"))
    with pytest.raises(gr.Error, match="unknown backbone"):
        handlers.on_backbone("hf-hub:someone/any-model")


def test_a_new_image_or_backbone_drops_the_previous_results_and_their_files(chelsea_path):
    request = SimpleNamespace(session_hash="new-input")
    gallery, *_ = handlers.on_run(
        chelsea_path, "efficientnet_lite0", ["gradcam"], "top1", "", "", None, 0.6, 3, *DISPLAY,
        request, lambda *args, **kwargs: None,
    )  # fmt: skip
    overlay = Path(gallery[0][0])
    assert overlay.exists()
    preview, _, _, *cleared = handlers.on_image(chelsea_path, "efficientnet_lite0", request)
    assert cleared == [[], "", [], None, None]
    assert not overlay.exists() and Path(preview).exists()
    assert STORE.get("new-input").explanation is None


def test_an_unexpected_error_is_one_generic_sentence_without_internals():
    @handlers.friendly_errors
    def broken() -> None:
        raise KeyError("/secret/path/model.pt")

    with pytest.raises(gr.Error) as caught:
        broken()
    assert "secret" not in str(caught.value) and "went wrong" in str(caught.value)


def test_fgvis_mask_is_shown_beside_what_the_model_sees(lite0, chelsea_path):
    session = STORE.get("fgvis-gallery")
    run, _ = session.begin_run()
    session.install(run, explain(lite0, chelsea_path, ["gradcam", "fgvis"], options={"fgvis": {"steps": 5}}))
    items = views.gallery(session, tiles_of(session.explanation), DISPLAY)
    assert [caption.split(" · ")[0] for _, caption in items] == ["Grad-CAM", "FGVis", "FGVis"]
    assert "what the model sees" in items[2][1]
    shown = np.asarray(Image.open(items[2][0]))
    assert (shown == fgvis_image(session.explanation)).all()
    STORE.discard("fgvis-gallery")
    assert not Path(items[0][0]).exists()


@pytest.mark.parametrize("public", [True, False])
def test_an_unavailable_backbone_shows_the_operator_hint_only_off_a_public_deployment(monkeypatch, public):
    monkeypatch.delenv("SPACE_ID", raising=False)
    monkeypatch.setenv("CAMSTUDIO_PUBLIC", "1" if public else "0")
    with pytest.raises(gr.Error) as caught:
        handlers.on_backbone("resnet50")  # no Hub access here, nothing cached
    message = str(caught.value)
    assert "ResNet-50" in message and ("CAMSTUDIO_WEIGHTS_RESNET50" in message) != public
