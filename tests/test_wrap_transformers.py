"""``wrap(model)`` on Hugging Face ``transformers`` image classifiers built from small configs (random
weights, no download): their outputs are ``ImageClassifierOutput``-style objects, their layers keep their
own names, and the maps equal the hand-laid-out reference of ``tests/wrap_reference.py``."""

from __future__ import annotations

import pytest
import torch
from wrap_reference import assert_matches, reference_maps, tokens

from cam_methods import explain
from model_zoo import wrap

transformers = pytest.importorskip("transformers")

METHODS = ["gradcam", "hirescam", "finer-gradcam"]
SMALL = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64, "num_labels": 10}
PATCHES = {"image_size": 32, "patch_size": 8, **SMALL}
STAGES = {"hidden_sizes": [8, 16, 32, 64], "depths": [1, 1, 1, 1], "num_labels": 10, "image_size": 64}

# name: (model class, config, the default layer wrap must choose, its layout)
HF_CASES = {
    "vit": ("ViTForImageClassification", ("ViTConfig", PATCHES), "vit.layers.0", tokens(1, 8)),
    "deit-distilled": (
        "DeiTForImageClassificationWithTeacher",
        ("DeiTConfig", PATCHES),
        "deit.layers.0",
        tokens(2, 8),
    ),
    "beit": ("BeitForImageClassification", ("BeitConfig", PATCHES), "beit.layers.1", tokens(1, 8)),
    "dinov2": ("Dinov2ForImageClassification", ("Dinov2Config", PATCHES), "dinov2.layernorm", tokens(1, 8)),
    "dinov2-registers": (
        "Dinov2WithRegistersForImageClassification",
        ("Dinov2WithRegistersConfig", {**PATCHES, "num_register_tokens": 4}),
        "dinov2_with_registers.layernorm",
        tokens(5, 8),
    ),
    "swin": (
        "SwinForImageClassification",
        (
            "SwinConfig",
            {"image_size": 32, "patch_size": 4, "embed_dim": 16, "depths": [1, 1], "num_heads": [1, 2]}
            | {"window_size": 4, "num_labels": 10},
        ),
        "swin.layernorm",
        tokens(0, 8),
    ),
    "convnext": ("ConvNextForImageClassification", ("ConvNextConfig", STAGES), "convnext.encoder.stages.3", "nchw"),
    "resnet": (
        "ResNetForImageClassification",
        ("ResNetConfig", {**STAGES, "embedding_size": 8}),
        "resnet.encoder.stages.3",
        "nchw",
    ),
}


def build(name: str) -> torch.nn.Module:
    model_class, (config_class, config), _, _ = HF_CASES[name]
    torch.manual_seed(0)
    model = getattr(transformers, model_class)(getattr(transformers, config_class)(**config))
    return model.eval()


@pytest.mark.parametrize("name", list(HF_CASES))
def test_wrap_explains_transformers_classifiers_like_the_reference(name):
    _, _, layer, layout = HF_CASES[name]
    model = build(name)
    backbone = wrap(model)
    assert backbone.default_layer == layer
    assert backbone.module(layer) is model.get_submodule(layer)  # the model's own layer names
    size = backbone.preprocess.crop
    x = torch.randn(1, 3, *size, generator=torch.Generator().manual_seed(1))
    assert not isinstance(model(x), torch.Tensor)  # an ImageClassifierOutput-style record, read by wrap
    result = explain(backbone, x, METHODS)
    assert_matches(result, reference_maps(model, model.get_submodule(layer), x, layout))


def test_the_models_own_class_names_become_the_labels():
    model = build("vit")
    model.config.id2label = {index: f"bird {index}" for index in range(10)}
    backbone = wrap(model)
    assert backbone.labels[3] == "bird 3"
    assert explain(backbone, torch.randn(1, 3, 32, 32), ["gradcam"], target="bird 3").target == 3
