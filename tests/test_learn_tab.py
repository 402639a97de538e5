"""The Learn tab: method notes from the registry, the anatomy against NumPy, the toy's known answers, the
map following its target, and the tab's events."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
import torch
from toy_models import FlattenLinear, GapLinear, positive_input, toy_backbone

from cam_methods import METHODS, explain
from studio import anatomy, learn, learn_examples, method_notes, toy
from studio.session import STORE


def test_every_method_has_a_plain_line_a_paper_link_and_every_symbol_of_its_formula_defined():
    text = method_notes.methods_markdown()
    for info in METHODS.values():
        note = method_notes.note_of(info)
        assert note.plain and note.link.startswith(("https://arxiv.org/abs/", "https://doi.org/"))
        assert f"`{info.formula}`" in text and note.link in text
        undefined = [s for s in method_notes.symbols_in(info.formula) if s not in method_notes.SYMBOLS]
        assert not undefined, f"{info.id}: {undefined}"
    assert text.count("Paper: ") == len(METHODS)


def test_symbols_are_read_from_the_formula_and_prose_is_skipped():
    assert method_notes.symbols_in("Σ_k α_k A_k,  α_k = (1/Z) Σ_ij G_kij") == ["α_k", "A_k", "Z", "G_k"]
    assert method_notes.symbols_in("Σ_k w_ck A_k (w: FC weights after global average pooling)") == ["w_ck", "A_k"]
    assert method_notes.symbols_in("XGrad-CAM of s = y_c − γ Σ_t π_t y_rt") == ["s", "y_c", "γ", "π_t", "y_rt"]


def numpy_parts(A: np.ndarray, G: np.ndarray, channels: np.ndarray):
    """Independent reference: α_k, Grad-CAM and HiResCAM and each one's shown terms, in NumPy float64."""
    A, G = A.astype(np.float64), G.astype(np.float64)
    alpha = G.mean(axis=(1, 2))
    gradcam = np.tensordot(alpha, A, axes=1)
    hirescam = (G * A).sum(axis=0)
    return alpha, gradcam, hirescam, alpha[channels, None, None] * A[channels], (G * A)[channels]


def test_anatomy_parts_add_up_to_each_map_and_match_numpy():
    generator = torch.Generator().manual_seed(3)
    A, G = torch.randn(9, 5, 4, generator=generator), torch.randn(9, 5, 4, generator=generator)
    dissected = anatomy.dissect(A, G, "random", np.zeros((20, 16, 3), np.uint8), shown=3)
    strength = np.abs(G.numpy().mean(axis=(1, 2))) * np.linalg.norm(A.numpy().reshape(9, -1), axis=1)
    assert dissected.channels.tolist() == np.argsort(-strength)[:3].tolist()
    alpha, gradcam, hirescam, gradcam_terms, hirescam_terms = numpy_parts(A.numpy(), G.numpy(), dissected.channels)
    np.testing.assert_allclose(dissected.alpha, alpha, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(dissected.gradcam_terms, gradcam_terms, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dissected.hirescam_terms, hirescam_terms, rtol=1e-5, atol=1e-6)
    close = {"rtol": 1e-5, "atol": 1e-5}
    np.testing.assert_allclose(dissected.gradcam_terms.sum(0) + dissected.gradcam_rest, gradcam, **close)
    np.testing.assert_allclose(dissected.hirescam_terms.sum(0) + dissected.hirescam_rest, hirescam, **close)
    np.testing.assert_allclose(dissected.gradcam_map, gradcam, rtol=1e-5, atol=1e-5)
    assert not dissected.coincide


@pytest.mark.parametrize(("model", "coincide"), [(GapLinear, True), (FlattenLinear, False)])
def test_anatomy_of_an_explanation_is_its_raw_maps_and_coincides_only_before_gap(model, coincide):
    torch.manual_seed(0)
    explanation = explain(toy_backbone(model(), cam=coincide), positive_input(), ["gradcam", "hirescam"], target=1)
    dissected = anatomy.of_explanation(explanation)
    np.testing.assert_allclose(dissected.gradcam_map, explanation.raw_maps["gradcam"].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dissected.hirescam_map, explanation.raw_maps["hirescam"].numpy(), rtol=1e-5, atol=1e-6)
    assert dissected.coincide is coincide
    assert dissected.picture.shape == (8, 8, 3) and "class 1" in dissected.title


@pytest.mark.parametrize("region", list(toy.ZERO_REGIONS))
def test_toy_known_answer_for_each_zero_region(region):
    maps = toy.toy_maps(region)
    squares = np.zeros((toy.SIDE, toy.SIDE), bool)
    squares[3:5, 1:3] = squares[3:5, 5:7] = True
    used = squares & (toy.class_weights(region).numpy() == 1)
    assert (maps["gradcam"][squares] == 1).all() and (maps["gradcam"][~squares] == 0).all()  # always both squares
    assert (maps["hirescam"][used] == 1).all() and (maps["hirescam"][~used] == 0).all()  # exactly what is used
    assert bool((maps["gradcam"] == maps["hirescam"]).all()) is (region == "nowhere")
    panels = learn.on_region(region)[0]
    assert [caption for _, caption in panels][2:] == ["Grad-CAM", "HiResCAM"]


def test_toy_refuses_an_unknown_region_in_one_sentence():
    with pytest.raises(gr.Error, match="zero-weight region must be one of"):
        learn.on_region("middle")


def test_switching_the_target_moves_the_map_from_the_cat_to_the_espresso():
    _, maps = learn_examples.switch_maps()
    labels = list(maps)
    assert len(labels) == learn_examples.SWITCH_TARGETS
    columns = np.arange(next(iter(maps.values())).shape[1])

    def centre(label_start: str) -> float:
        positive = np.clip(maps[next(label for label in labels if label.startswith(label_start))], 0, None)
        return float((positive.sum(axis=0) * columns).sum() / positive.sum() / columns[-1])

    assert centre("Egyptian cat") < 0.4 and centre("espresso") > 0.6
    assert set(learn_examples.switch_targets()) == set(labels)


def test_bundled_example_anatomy_and_the_layer_check():
    weights, narrow_weights, sums, narrow_sums, caption = learn.on_layer(learn_examples.EXAMPLE_LAYER)
    assert weights.size[0] > 0 and sums.size[0] > 0 and "layer blocks.5" in caption and "same map" not in caption
    assert narrow_weights.size[0] < 400 and narrow_sums.size[0] < 400 < sums.size[0]  # a phone's are ≤ 4.4 in
    with pytest.raises(gr.Error, match="choose one of the bundled model's layers"):
        learn.on_layer("blocks.99")
    first = learn.on_open(learn_examples.EXAMPLE_LAYER, False)
    assert first[4] == caption and len(first[5].choices) == 5 and first[-1] is True
    assert learn.on_open(learn_examples.EXAMPLE_LAYER, True)[:7] == (gr.skip(),) * 7  # a later opening keeps it


def test_own_anatomy_needs_an_explain_run_first_and_the_model_group_is_the_apps():
    import app

    assert learn.MODEL_CALLS == app.MODEL_CALLS
    with pytest.raises(gr.Error, match="Press Explain on the Explain tab first"):
        learn.on_own(None)


def test_own_anatomy_takes_apart_the_visitors_latest_explain_capture():
    explanation = explain(toy_backbone(FlattenLinear(), cam=False), positive_input(), ["gradcam"], target=2)
    session = STORE.get("learn-own-anatomy")
    run, _ = session.begin_run()
    assert session.install(run, explanation)
    weights, _, sums, _, caption = learn.on_own(SimpleNamespace(session_hash="learn-own-anatomy"))
    assert "FlattenLinear, layer act" in caption and "class 2" in caption and "same map" not in caption
    assert weights.size[0] > 0 and sums.size[0] > 0
    STORE.discard("learn-own-anatomy")
