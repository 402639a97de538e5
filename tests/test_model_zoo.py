"""model_zoo: the bundled weights, random weights, Hub entries failing with their cause, and local weights files."""

import errno
import pickle
import socket

import httpx
import open_clip
import pytest
import timm
import torch
from huggingface_hub.errors import LocalEntryNotFoundError, OfflineModeIsEnabled

from model_zoo import BACKBONES, BackboneUnavailable, load_backbone, weights_env_var
from model_zoo.bundled import rename_by_position
from model_zoo.clip import CLIPS
from model_zoo.timm_models import HUB_CNNS
from model_zoo.timm_vit import VITS

HUB_NAMES = [cnn.arch for cnn in HUB_CNNS]
ZOO_NAMES = ["efficientnet_lite0", *HUB_NAMES, *VITS, *CLIPS]
CACHE_PATH = "/srv/hf-cache/blobs/0a1b2c.incomplete"
# a failure of the Hub download, and the words of the public sentence that its cause gives
FAILURES = {
    "offline mode": (OfflineModeIsEnabled("Cannot reach https://huggingface.co: offline mode"), "not cached here"),
    "not cached": (LocalEntryNotFoundError("cannot find the requested files in the local cache"), "not cached here"),
    "no DNS": (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), "not cached here"),
    "refused": (httpx.ConnectError("[Errno 111] Connection refused"), "not cached here"),
    "disk full": (OSError(errno.ENOSPC, "No space left on device", CACHE_PATH), "the disk is full"),
    "read-only": (OSError(errno.EROFS, "Read-only file system", CACHE_PATH), "cache is not writable"),
    "no permission": (PermissionError(errno.EACCES, "Permission denied", CACHE_PATH), "cache is not writable"),
    "other": (KeyError("unexpected checkpoint layout"), "could not be loaded"),
}


def test_required_cnn_entries_are_listed_with_their_real_tags():
    assert {"efficientnet_lite0", "resnet50", "convnext_tiny", "efficientnet_b0"} <= set(BACKBONES)
    assert "resnet50.a1_in1k" in BACKBONES["resnet50"].source
    assert BACKBONES["efficientnet_lite0"].available_offline


def test_bundled_model_is_in_eval_mode_with_layers_labels_and_cam_head(lite0):
    assert not lite0.model.training
    assert lite0.default_layer == "bn2" and lite0.cam_layer == "bn2"
    assert len(lite0.labels) == 1000 and lite0.labels[282] == "tiger cat"
    assert lite0.preprocess.resize == 256 and lite0.preprocess.crop == (224, 224)
    assert lite0.framing == "whole" and lite0.preprocess.stride == 32
    assert lite0.preprocess.mean == (0.5, 0.5, 0.5) and lite0.preprocess.std == (0.5, 0.5, 0.5)


@pytest.mark.parametrize("name", HUB_NAMES)
def test_hub_models_fail_offline_with_one_clear_sentence(monkeypatch, name):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv(weights_env_var(name), raising=False)
    assert not BACKBONES[name].available_offline
    with pytest.raises(BackboneUnavailable) as caught:
        load_backbone(name)
    public, message = caught.value.message, str(caught.value)
    assert BACKBONES[name].display_name in public and "could not be downloaded" in public
    assert weights_env_var(name) not in public and public.count(". ") == 0
    assert message.startswith(public) and "run once online" in message and weights_env_var(name) in message
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


def raiser(error: Exception, wrap: bool = False):
    """A stand-in for a model factory that fails with ``error`` (raised from a RuntimeError when ``wrap``, as
    open_clip wraps the Hub's errors)."""

    def fail(*args, **kwargs):
        if not wrap:
            raise error
        try:
            raise error
        except Exception as inner:
            raise RuntimeError("Failed to download weights for tag 'openai'") from inner

    return fail


def assert_public_and_operator_parts(caught: BackboneUnavailable, name: str, cause: Exception, words: str):
    public = caught.message
    assert words in public and public.endswith(".") and public.count(". ") == 0
    assert all(other not in public for _, other in FAILURES.values() if other != words)  # one sentence per cause
    assert weights_env_var(name) not in public and "/srv" not in public and "Errno" not in public
    assert type(cause).__name__ not in public and "Error" not in public
    assert str(caught) == f"{public} {caught.hint}" and "\n" not in str(caught)
    assert weights_env_var(name) in caught.hint and "weights=" in caught.hint
    assert f"{type(cause).__name__}: " in caught.hint


@pytest.mark.parametrize("failure", list(FAILURES))
def test_each_cause_of_a_failed_timm_download_has_its_own_public_sentence(monkeypatch, failure):
    error, words = FAILURES[failure]
    monkeypatch.delenv(weights_env_var("resnet50"), raising=False)
    monkeypatch.setattr(timm, "create_model", raiser(error))
    with pytest.raises(BackboneUnavailable) as caught:
        load_backbone("resnet50")
    assert caught.value.__cause__ is error
    assert_public_and_operator_parts(caught.value, "resnet50", error, words)


@pytest.mark.parametrize("failure", ["not cached", "disk full", "read-only", "other"])
def test_the_cause_is_found_inside_the_error_open_clip_wraps_it_in(monkeypatch, failure):
    error, words = FAILURES[failure]
    monkeypatch.delenv(weights_env_var("ViT-B-32"), raising=False)
    monkeypatch.setattr(open_clip, "create_model", raiser(error, wrap=True))
    with pytest.raises(BackboneUnavailable) as caught:
        load_backbone("ViT-B-32")
    cause = error if failure != "other" else caught.value.__cause__  # nothing known inside: the outer error
    assert_public_and_operator_parts(caught.value, "ViT-B-32", cause, words)


def test_backbone_unavailable_keeps_its_parts_through_pickling():
    error = BackboneUnavailable("ResNet-50 weights could not be loaded.", "For the operator: see the log.")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.message, copy.hint, str(copy)) == (error.message, error.hint, str(error))


def test_random_weights_give_the_same_architecture_and_preprocessing_without_any_file(lite0, monkeypatch, tmp_path):
    monkeypatch.setenv(weights_env_var("efficientnet_lite0"), str(tmp_path / "missing.pth"))  # never read
    random = load_backbone("efficientnet_lite0", random_weights=True)
    assert load_backbone("efficientnet_lite0", random_weights=True) is random and random is not lite0
    real, drawn = lite0.model.state_dict(), random.model.state_dict()
    assert {k: v.shape for k, v in real.items()} == {k: v.shape for k, v in drawn.items()}
    assert not torch.equal(real["conv_stem.weight"], drawn["conv_stem.weight"])
    assert (random.preprocess, random.layers, random.cam_layer) == (lite0.preprocess, lite0.layers, lite0.cam_layer)
    assert not random.model.training and random.labels == lite0.labels
    assert random.display_name == "EfficientNet-Lite0 (bundled) (random weights)"
    with pytest.raises(ValueError, match="not both"):
        load_backbone("efficientnet_lite0", weights=str(tmp_path / "missing.pth"), random_weights=True)
    monkeypatch.delenv(weights_env_var("efficientnet_lite0"))
    real_again = load_backbone("efficientnet_lite0")  # the random entry is cached apart from the real one
    assert real_again is not random and torch.equal(real_again.model.conv_stem.weight, lite0.model.conv_stem.weight)


def test_every_zoo_entry_has_a_random_weight_build():
    assert all(BACKBONES[name].build_random is not None for name in ZOO_NAMES)


@pytest.mark.parametrize("name", HUB_NAMES)
def test_hub_cnns_load_with_random_weights_offline_with_a_working_head(monkeypatch, name):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    backbone = load_backbone(name, random_weights=True)
    assert backbone.name == name and backbone.default_layer == backbone.layers[-1]
    kept = {}
    handle = backbone.module(backbone.cam_layer).register_forward_hook(
        lambda m, a, output: kept.setdefault("A", output)
    )
    try:
        with torch.no_grad():
            logits = backbone.model(torch.randn(1, 3, 64, 64))
    finally:
        handle.remove()
    assert logits.shape == (1, 1000)
    weights = backbone.head_weights(backbone.cam_layer)
    assert (weights is None) == (backbone.cam_layer is None)
    if weights is not None:
        assert weights.shape == (1000, backbone.to_grid(kept["A"], (64, 64)).shape[0])
