"""The app's "model id" box: only on a self-hosted instance started with CAMSTUDIO_ALLOW_ANY_MODEL=1; model ids
are refused by every handler elsewhere; loading one selects it; failures are one sentence; and a blank map's
tile caption says why."""

from __future__ import annotations

import gradio as gr
import pytest
import timm
import torch

import app
from cam_methods import explain
from model_zoo import weights_env_var
from studio import any_model, handlers
from studio.tiles import Tile, caption

MODEL_ID = "timm/resnet10t"


@pytest.fixture
def self_hosted(monkeypatch):
    monkeypatch.setenv(any_model.SETTING, "1")
    monkeypatch.delenv("SPACE_ID", raising=False)
    monkeypatch.delenv("CAMSTUDIO_PUBLIC", raising=False)


def gradio_sentence(call) -> str:
    with pytest.raises(gr.Error) as caught:
        call()
    return caught.value.message


def test_model_ids_are_refused_unless_the_operator_allows_them(monkeypatch):
    monkeypatch.delenv(any_model.SETTING, raising=False)
    assert not any_model.allowed() and not any_model.model_id_box().visible
    assert gradio_sentence(lambda: handlers.on_backbone(MODEL_ID)) == "this instance offers only the listed backbones"
    monkeypatch.setenv(any_model.SETTING, "1")
    monkeypatch.setenv("SPACE_ID", "someone/cam-studio")
    assert not any_model.allowed()  # a public deployment offers the zoo alone, whatever the setting


def test_a_self_hosted_instance_loads_a_model_id_and_selects_it(self_hosted, monkeypatch, tmp_path):
    path = tmp_path / "resnet10t.pth"
    torch.save(timm.create_model("resnet10t", pretrained=False).state_dict(), path)
    monkeypatch.setenv(weights_env_var(MODEL_ID), str(path))
    dropdown = any_model.on_model_id(f"  {MODEL_ID} ")
    assert dropdown.value == MODEL_ID and (f"CNN · {MODEL_ID}", MODEL_ID) in dropdown.choices
    layers, *_ = handlers.on_backbone(MODEL_ID)
    assert layers.value == "layer4"


def test_a_bad_or_unavailable_model_id_is_one_sentence(self_hosted, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert "starts with timm/ or hf/" in gradio_sentence(lambda: any_model.on_model_id("resnet18"))
    offline = gradio_sentence(lambda: any_model.on_model_id("timm/resnet18.a1_in1k"))
    assert "could not be downloaded" in offline and "\n" not in offline


def test_the_box_is_in_the_page_only_when_allowed(self_hosted):
    boxes = [block for block in app.build().blocks.values() if getattr(block, "elem_id", None) == "model_id"]
    assert len(boxes) == 1 and boxes[0].visible


def test_a_blank_maps_caption_says_why(lite0):
    result = explain(lite0, torch.randn(1, 3, 32, 32), ["gradcam"])
    text = caption(Tile("gradcam", result, "gradcam"))
    assert text.startswith("Grad-CAM · ") and "⚠ the layer's output is not spatial" in text
