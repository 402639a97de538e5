"""model_zoo: the bundled weights, Hub entries failing clearly offline, and local weights files."""

import pytest
import timm
import torch

from model_zoo import BACKBONES, BackboneUnavailable, load_backbone, weights_env_var
from model_zoo.bundled import rename_by_position
from model_zoo.timm_models import HUB_CNNS

HUB_NAMES = [cnn.arch for cnn in HUB_CNNS]


def test_required_cnn_entries_are_listed_with_their_real_tags():
    assert {"efficientnet_lite0", "resnet50", "convnext_tiny", "efficientnet_b0"} <= set(BACKBONES)
    assert "resnet50.a1_in1k" in BACKBONES["resnet50"].source
    assert BACKBONES["efficientnet_lite0"].available_offline


def test_bundled_model_is_in_eval_mode_with_layers_labels_and_cam_head(lite0):
    assert not lite0.model.training
    assert lite0.default_layer == "bn2" and lite0.cam_layer == "bn2"
    assert len(lite0.labels) == 1000 and lite0.labels[282] == "tiger cat"
    assert lite0.preprocess.resize == 256 and lite0.preprocess.crop == (224, 224)
    assert lite0.preprocess.mean == (0.5, 0.5, 0.5) and lite0.preprocess.std == (0.5, 0.5, 0.5)


@pytest.mark.parametrize("name", HUB_NAMES)
def test_hub_models_fail_offline_with_one_clear_sentence(monkeypatch, name):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv(weights_env_var(name), raising=False)
    assert not BACKBONES[name].available_offline
    with pytest.raises(BackboneUnavailable) as caught:
        load_backbone(name)
    message = str(caught.value)
    assert BACKBONES[name].display_name in message
    assert "run once online" in message and weights_env_var(name) in message
    assert "\n" not in message and "Traceback" not in message


def test_a_local_weights_file_replaces_the_hub(tmp_path, monkeypatch):
    model = timm.create_model("resnet50", pretrained=False)
    path = tmp_path / "resnet50.pth"
    torch.save(model.state_dict(), path)
    monkeypatch.setenv(weights_env_var("resnet50"), str(path))
    assert BACKBONES["resnet50"].available_offline
    backbone = load_backbone("resnet50")
    assert backbone.head_weights("layer4") is not None and backbone.head_weights("layer3") is None
    torch.testing.assert_close(backbone.model.fc.weight, model.fc.weight)
    with pytest.raises(BackboneUnavailable, match="does not exist"):
        load_backbone("resnet50", weights=str(tmp_path / "missing.pth"))


def test_unknown_backbone_names_are_refused():
    with pytest.raises(ValueError, match="unknown backbone"):
        load_backbone("definitely_not_a_model")


def test_rename_by_position_refuses_mismatches():
    target = {"a": torch.zeros(2), "b": torch.zeros(3)}
    assert list(rename_by_position({"x": torch.ones(2), "y": torch.ones(3)}, target)) == ["a", "b"]
    with pytest.raises(ValueError, match="does not fit"):
        rename_by_position({"x": torch.ones(3), "y": torch.ones(2)}, target)
    with pytest.raises(ValueError, match="expects"):
        rename_by_position({"x": torch.ones(2)}, target)


def test_a_weights_file_that_does_not_fit_is_one_sentence(tmp_path):
    wrong = tmp_path / "not-resnet.pth"
    torch.save({"fc.weight": torch.zeros(3, 3)}, wrong)
    with pytest.raises(BackboneUnavailable, match="'not-resnet.pth' does not load into ResNet-50") as caught:
        load_backbone("resnet50", weights=str(wrong))
    assert str(tmp_path) not in str(caught.value)  # no server path in a message
