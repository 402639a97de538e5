"""``load_backbone("timm/<id>")`` and ``load_backbone("hf/<id>")``: wrapped by model id, offline failures in
one sentence, local weights instead of the Hub, the missing optional package named with its install
command, and the CLI's ``--backbone`` taking the same ids."""

from __future__ import annotations

import importlib.util

import pytest
import timm
import torch

from cam_methods.__main__ import main
from model_zoo import BackboneUnavailable, load_backbone

TINY_TIMM = "resnet10t"


def test_a_timm_id_is_wrapped_with_timms_preprocessing():
    backbone = load_backbone(f"timm/{TINY_TIMM}", random_weights=True)
    assert backbone.default_layer == "layer4" and backbone.cam_layer == "layer4"
    assert backbone.preprocess.crop == (176, 176)  # resnet10t's own evaluation size, from its pretrained config
    assert len(backbone.labels) == 1000 and "(random weights)" in backbone.display_name


def test_a_timm_id_fails_offline_in_one_sentence(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(BackboneUnavailable) as caught:
        load_backbone("timm/resnet18.a1_in1k")
    public = caught.value.message
    assert "timm resnet18.a1_in1k" in public and "could not be downloaded" in public and public.count(". ") == 0
    assert "run once online" in str(caught.value)


def test_an_unknown_timm_id_names_where_to_look():
    with pytest.raises(ValueError, match=r"timm has no model 'no_such_net'; timm.list_models\(\)"):
        load_backbone("timm/no_such_net")
    with pytest.raises(ValueError, match="timm/ or hf/"):
        load_backbone("no_such_net")


def test_a_local_checkpoint_replaces_the_hub_for_a_timm_id(tmp_path):
    torch.manual_seed(3)
    model = timm.create_model(TINY_TIMM, pretrained=False)
    path = tmp_path / "resnet10t.pth"
    torch.save(model.state_dict(), path)
    loaded = load_backbone(f"timm/{TINY_TIMM}", weights=str(path))
    for name, tensor in model.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[name], tensor), name


def test_a_checkpoint_of_another_architecture_is_one_sentence(tmp_path):
    path = tmp_path / "other.pth"
    torch.save({"nothing": torch.zeros(1)}, path)
    with pytest.raises(BackboneUnavailable) as caught:
        load_backbone(f"timm/{TINY_TIMM}", weights=str(path))
    assert caught.value.message == f"The weights file configured for timm {TINY_TIMM} does not load into it."


def test_the_cli_takes_a_timm_id(tmp_path, chelsea_path, capsys):
    path = tmp_path / "resnet10t.pth"
    torch.save(timm.create_model(TINY_TIMM, pretrained=False).state_dict(), path)
    code = main([chelsea_path, "--backbone", f"timm/{TINY_TIMM}", "--weights", str(path), "--out", str(tmp_path / "o")])
    assert code == 0 and (tmp_path / "o" / "manifest.json").exists()
    assert main([chelsea_path, "--backbone", "timm/resnet18.a1_in1k", "--out", str(tmp_path / "p")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and error.count("\n") == 1 and "Traceback" not in error


def test_without_transformers_the_hf_prefix_says_how_to_install_it(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "transformers" else real(name, *a)
    )
    with pytest.raises(BackboneUnavailable, match="pip install transformers") as caught:
        load_backbone("hf/google/vit-base-patch16-224")
    assert caught.value.message.count(". ") == 0


def test_an_hf_id_fails_offline_in_one_sentence(monkeypatch):
    pytest.importorskip("transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(BackboneUnavailable) as caught:
        load_backbone("hf/google/vit-base-patch16-224")
    assert "could not be downloaded" in caught.value.message and caught.value.message.count(". ") == 0


def test_an_hf_model_folder_loads_with_its_own_image_processor(tmp_path):
    transformers = pytest.importorskip("transformers")
    config = transformers.ViTConfig(
        image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, num_labels=5
    )
    transformers.ViTForImageClassification(config).save_pretrained(tmp_path)
    transformers.ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(tmp_path)
    backbone = load_backbone("hf/my-vit", weights=str(tmp_path))
    assert backbone.preprocess.crop == (32, 32) and backbone.preprocess.mean == (0.5, 0.5, 0.5)
    assert backbone.default_layer == "vit.layers.0" and len(backbone.labels) == 5
