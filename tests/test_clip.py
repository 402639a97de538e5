"""CLIP on random weights: prompt targets, one forward for many prompts, Finer-CAM against other prompts."""

import numpy as np
import open_clip
import pytest
import torch
import torch.nn.functional as F
from random_backbones import random_clip, tiny_clip, tiny_clip_spec
from test_vit import TRANSFORMER_METHODS
from toy_models import GapLinear, positive_input, toy_backbone

from cam_methods import METHODS, MethodNotApplicable, explain, fgvis_image
from model_zoo import BACKBONES, BackboneUnavailable, load_backbone, register_backbone, weights_env_var
from model_zoo.clip import CLIPS, encode_text_prefix

LABELS = ("tiger cat", "tabby, tabby cat", "Egyptian cat", "golden retriever", "sports car", "airliner")
CAT, DOG, CAR = "a photo of a cat", "a dog on the grass", "a red sports car parked outside a house"


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    return tiny_clip("tiny-clip", labels=LABELS)


@pytest.fixture(scope="module")
def image(tiny, chelsea_path):
    from PIL import Image

    return tiny.prepare(Image.open(chelsea_path))[0]


def count_calls(module: torch.nn.Module) -> tuple[list, torch.utils.hooks.RemovableHandle]:
    calls = []
    return calls, module.register_forward_pre_hook(lambda *args: calls.append(1))


def hand_scores(backbone, x, prompts):
    """``logit_scale · cos(f(x), g(p))`` with open_clip's own full-length encoders, and the default layer's
    output they depend on (grad enabled all the way)."""
    clip = backbone.prompt_scorer.clip
    kept = {}
    handle = backbone.module(None).register_forward_hook(lambda module, args, output: kept.setdefault("A", output))
    try:
        image_features = clip.encode_image(x)
    finally:
        handle.remove()
    text_features = clip.encode_text(open_clip.tokenize(prompts))
    scores = clip.logit_scale.exp() * F.cosine_similarity(image_features, text_features)
    return scores, kept["A"]


def test_prefix_text_encoding_equals_open_clips_full_length_encoding(tiny):
    clip = tiny.prompt_scorer.clip
    tokens = open_clip.tokenize(["a cat", CAT, DOG, CAR, "a photo of a " + "very " * 30 + "long prompt"])
    with torch.no_grad():
        torch.testing.assert_close(encode_text_prefix(clip, tokens), clip.encode_text(tokens), atol=1e-5, rtol=1e-5)


def test_prompt_gradients_equal_autograd_of_the_similarity_computed_by_hand(tiny, image):
    gamma = 0.7
    result = explain(tiny, image, ["hirescam", "finer-hirescam"], prompts=[CAT, DOG], compare_prompts=[DOG, CAR])
    result = result.with_gamma(gamma)
    scores, A = hand_scores(tiny, image, [CAT, DOG, CAR])
    grids = {}
    for prompt, score in zip([CAT, DOG, CAR], scores, strict=True):
        (G,) = torch.autograd.grad(score, A, retain_graph=True)
        grids[prompt] = G[0, 1:].reshape(7, 7, -1).permute(2, 0, 1)  # drop the class token; 7×7 patches
    for prompt, comparisons in ((CAT, [DOG, CAR]), (DOG, [CAR])):  # a prompt is never its own comparison
        explanation = result.per_prompt[prompt]
        assert explanation.references == tuple(comparisons)
        torch.testing.assert_close(explanation.evidence.scores[0], scores[[CAT, DOG, CAR].index(prompt)].detach())
        torch.testing.assert_close(explanation.evidence.gradients[0], grids[prompt], atol=1e-6, rtol=1e-4)
        # Finer: the gradient of s(p) − γ · mean_t s(q_t)
        expected = grids[prompt] - gamma * torch.stack([grids[q] for q in comparisons]).mean(dim=0)
        signal = explanation.context.signal(finer=True, uses_head_weights=False)
        torch.testing.assert_close(signal, expected, atol=1e-6, rtol=1e-4)


def test_several_prompts_cost_one_image_forward_and_text_is_encoded_once(tiny, image):
    image_calls, image_hook = count_calls(tiny.model)
    text_calls, text_hook = count_calls(tiny.prompt_scorer.clip.transformer)
    try:
        first = explain(tiny, image, TRANSFORMER_METHODS, prompts=[CAT, DOG, CAR, "a prompt never seen before"])
        assert len(image_calls) == 1
        encoded = len(text_calls)
        again = explain(tiny, image, ["gradcam"], prompts=[CAR, DOG])
        assert len(image_calls) == 2 and len(text_calls) == encoded  # cached per backbone
    finally:
        image_hook.remove()
        text_hook.remove()
    assert list(first.per_prompt) == [CAT, DOG, CAR, "a prompt never seen before"]
    assert first.per_prompt[CAT] is first and all(e.per_prompt is first.per_prompt for e in first.per_prompt.values())
    assert all(e.evidence.activations is first.evidence.activations for e in first.per_prompt.values())
    np.testing.assert_array_equal(again.maps["gradcam"], first.per_prompt[CAR].maps["gradcam"])


@pytest.mark.parametrize("compare", [None, [DOG, CAR]])
def test_finer_recombination_with_a_new_gamma_equals_a_fresh_computation(tiny, image, compare):
    finer = [m for m in TRANSFORMER_METHODS if METHODS[m].family == "finer"]
    kwargs = {"prompts": [CAT, DOG], "compare_prompts": compare}
    recombined = explain(tiny, image, finer, finer_gamma=0.6, **kwargs).with_gamma(1.4)
    fresh = explain(tiny, image, TRANSFORMER_METHODS, finer_gamma=1.4, **kwargs)
    assert recombined.target == CAT and list(recombined.per_prompt) == [CAT, DOG]
    for prompt in (CAT, DOG):
        assert recombined.per_prompt[prompt].finer_gamma == 1.4
        zero = fresh.per_prompt[prompt].with_gamma(0)
        assert zero.target == prompt
        for method in finer:
            np.testing.assert_allclose(
                recombined.per_prompt[prompt].maps[method], fresh.per_prompt[prompt].maps[method], atol=1e-6
            )
            np.testing.assert_array_equal(zero.maps[method], zero.maps[METHODS[method].base])


def test_zero_shot_prediction_and_default_references_are_the_nearest_class_prompts(tiny, image):
    result = explain(tiny, image, ["gradcam"], prompts=["tabby", DOG], finer_refs=2)
    class_prompts = [f"a photo of a {label.split(',')[0]}" for label in LABELS]
    with torch.no_grad():
        scores, _ = hand_scores(tiny, image, class_prompts)
    np.testing.assert_allclose(result.probs.numpy(), scores.softmax(dim=0).numpy(), atol=1e-5)
    order = torch.argsort(scores, descending=True).tolist()
    top = result.top_k(3)
    assert [label for label, _ in top] == [LABELS[i].split(",")[0] for i in order[:3]]
    assert abs(sum(p for _, p in result.top_k(len(LABELS))) - 1) < 1e-5
    # "tabby" is a label: its own class prompt is no reference for it; DOG's references are the top two
    tabby = class_prompts.index("a photo of a tabby")
    assert result.references == tuple(class_prompts[i] for i in order if i != tabby)[:2]
    assert result.per_prompt[DOG].references == tuple(class_prompts[i] for i in order[:2])


def test_prompts_and_classifiers_do_not_mix(tiny, image):
    classifier = toy_backbone(GapLinear(), cam=True)
    with pytest.raises(ValueError, match="is a classifier: text prompts need a CLIP backbone"):
        explain(classifier, positive_input(), ["gradcam"], prompts=[CAT])
    with pytest.raises(ValueError, match="give at least one text prompt"):
        explain(tiny, image, ["gradcam"])
    with pytest.raises(ValueError, match="give at least one text prompt"):
        explain(tiny, image, ["gradcam"], compare_prompts=[DOG])
    with pytest.raises(ValueError, match="not target="):
        explain(tiny, image, ["gradcam"], target=3, prompts=[CAT])
    with pytest.raises(ValueError, match="non-empty text"):
        explain(tiny, image, ["gradcam"], prompts=[CAT, "  "])
    with pytest.raises(MethodNotApplicable):
        explain(tiny, image, ["cam"], prompts=[CAT])


@pytest.mark.parametrize("arch", list(CLIPS))
def test_every_clip_architecture_runs_every_gradient_and_finer_method(arch, chelsea_path):
    backbone = random_clip(arch, LABELS)
    result = explain(backbone, chelsea_path, TRANSFORMER_METHODS, prompts=[CAT, DOG], finer_refs=2)
    expected_layer = "visual.layer4" if arch == "RN50" else "visual.transformer.resblocks.11.ln_1"
    assert result.layer == backbone.default_layer == expected_layer
    grid = {"ViT-B-32": (7, 7), "ViT-B-16": (14, 14), "RN50": (7, 7)}[arch]
    assert result.evidence.activations.shape[1:] == grid
    for explanation in result.per_prompt.values():
        assert len(explanation.references) == 2
        for method in TRANSFORMER_METHODS:
            values = explanation.maps[method]
            assert values.shape == (224, 224) and np.isfinite(values).all() and 0 <= values.min() <= values.max() <= 1
    on_upload = result.to_image("gradcam")  # CLIP sees the 224-px centre crop: the sides are "not seen", NaN
    assert on_upload.shape == (300, 451) and backbone.framing == result.framing == "crop"
    left, _, width, _ = result.geometry.seen_box
    assert np.isnan(on_upload[:, :left]).all() and np.isfinite(on_upload[:, left : left + width]).all()


def test_registered_clips_use_real_tags_and_explain_offline_failure_in_one_sentence():
    for arch, entry in CLIPS.items():
        tag = open_clip.get_pretrained_cfg(arch, entry.tag)
        assert tag["hf_hub"].strip("/") == entry.hub_id and tag.get("quick_gelu", False) == entry.quick_gelu
        assert BACKBONES[arch].family == "clip"
        with pytest.raises(BackboneUnavailable) as raised:
            BACKBONES[arch].build(None)
        public = raised.value.message
        assert entry.display_name in public and "could not be downloaded" in public and public.count(". ") == 0
        assert weights_env_var(arch) not in public
        assert weights_env_var(arch) in str(raised.value) and "run once online" in str(raised.value)


def test_a_registered_test_clip_is_usable_by_name(image):
    register_backbone(tiny_clip_spec("test-clip-registry", labels=LABELS))
    try:
        backbone = load_backbone("test-clip-registry")
        assert backbone.family == "clip" and load_backbone("test-clip-registry") is backbone
        result = explain("test-clip-registry", image, ["gradcam", "finer-gradcam"], prompts=[CAT])
        assert result.maps["finer-gradcam"].shape == (224, 224)
    finally:
        BACKBONES.pop("test-clip-registry")


def test_the_text_cache_keeps_class_prompts_and_a_bounded_number_of_others(tiny, monkeypatch):
    import model_zoo.clip as clip_module

    monkeypatch.setattr(clip_module, "USER_PROMPT_CACHE", 3)
    scorer = tiny.prompt_scorer
    scorer.embed(scorer.class_prompts)
    first = scorer.embed(["a photo of prompt 0"]).clone()
    for number in range(1, 8):
        scorer.embed([f"a photo of prompt {number}"])
        assert len(scorer._cache) <= len(scorer.class_prompts) + 3
    assert set(scorer.class_prompts) <= set(scorer._cache)
    assert torch.equal(scorer.embed(["a photo of prompt 0"]), first)  # forgotten, then recomputed identically


def test_slow_methods_run_on_clip_prompts(tiny, image):
    result = explain(
        tiny,
        image,
        ["scorecam", "abscam", "finer-scorecam", "fgvis"],
        prompts=[CAT, DOG],
        options={"scorecam": {"max_channels": 8}, "abscam": {"max_channels": 8}, "fgvis": {"steps": 3}},
    )
    for prompt in (CAT, DOG):
        maps = result.per_prompt[prompt].maps
        for method_id, input_map in maps.items():
            assert input_map.shape == tuple(image.shape[-2:]), method_id
            assert input_map.min() >= 0 and input_map.max() <= 1, method_id
    assert fgvis_image(result.per_prompt[DOG]).shape == (*image.shape[-2:], 3)
