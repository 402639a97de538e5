"""Share links and the compact method picker, without a browser: a link is hostile input (every parameter is
checked, a bad one is ignored with a sentence that does not repeat it), a view survives the round trip, and the
picker's ids are the registry's Finer-CAM variants."""

from __future__ import annotations

import inspect
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import gradio as gr
import pytest
from random_backbones import tiny_clip_spec

from cam_methods import METHODS
from model_zoo import load_backbone, register_backbone
from studio import handlers, open_link
from studio.choices import MAX_PROMPT_CHARS, MAX_PROMPTS, TOP1
from studio.examples import EXAMPLES, example_name
from studio.share_link import MAX_CHARS, UPLOAD_NOTE, fit_to, link_query, read_link

LITE0 = load_backbone("efficientnet_lite0")
CLIP = register_backbone(tiny_clip_spec("test-clip-link")).name
HOSTILE = "<img src=x onerror=alert(1)>"


def test_a_link_with_none_of_the_parameters_asks_for_nothing():
    assert read_link({}) is None and read_link({"__theme": "dark"}) is None


def test_a_view_survives_the_round_trip_through_its_link():
    query, note = link_query(str(EXAMPLES["coffee"]), "efficientnet_lite0", ["gradcam", "finer-gradcam"], "967",
                             "blocks.5", 1.25)  # fmt: skip
    asked = {key: values[0] for key, values in parse_qs(urlsplit(query).query).items()}
    view = fit_to(read_link(asked), LITE0)
    assert note is None and view.notes == ()
    assert (view.example, view.backbone, view.methods) == ("coffee", "efficientnet_lite0", ["gradcam", "finer-gradcam"])
    assert (view.target, view.layer, view.gamma) == ("967", "blocks.5", 1.25)


def test_an_uploaded_image_stays_out_of_the_link_with_one_sentence(tmp_path):
    upload = tmp_path / "chelsea.png"  # the name of an example, other bytes
    upload.write_bytes(EXAMPLES["chelsea"].read_bytes() + b"\0")
    query, note = link_query(str(upload), "efficientnet_lite0", ["gradcam"], None, None, 0.6)
    assert "example=" not in query and note == UPLOAD_NOTE and example_name(str(upload)) is None
    copy = tmp_path / "mine.png"  # an example's bytes under another name: it is that example
    copy.write_bytes(EXAMPLES["chelsea"].read_bytes())
    assert example_name(str(copy)) == "chelsea"


@pytest.mark.parametrize(
    ("asked", "words"),
    [
        ({"example": HOSTILE}, "not one of the bundled images"),
        ({"backbone": "../../etc/passwd"}, "backbone is not one"),
        ({"methods": f"gradcam,{HOSTILE}"}, "methods this app does not have"),
        ({"gamma": "nan"}, "γ is not a number"),
        ({"gamma": "inf"}, "γ is not a number"),
        ({"gamma": "2.5"}, "γ is not a number"),
        ({"gamma": "-0.1"}, "γ is not a number"),
        ({"gamma": "1e309"}, "γ is not a number"),
        ({"layer": HOSTILE}, "not a layer of this backbone"),
        ({"target": "-7"}, "not a class of this backbone"),
        ({"target": "1000"}, "not a class of this backbone"),
        ({"target": "٣"}, "not a class of this backbone"),  # a digit, but not an ASCII one
        ({"example": "x" * (MAX_CHARS + 1)}, "too long"),
        ({"prompts": "[click me](https://example.com)"}, "prompts are ignored"),  # would be a link in the summary
        ({"prompts": "a cat" + "; a dog" * MAX_PROMPTS}, "prompts are ignored"),
        ({"compare": "a" * (MAX_PROMPT_CHARS + 1)}, "“compare against” prompts are ignored"),
        ({"compare": HOSTILE}, "“compare against” prompts are ignored"),
    ],
)
def test_a_hostile_parameter_is_ignored_with_one_sentence_that_does_not_repeat_it(asked, words):
    view = fit_to(read_link(asked), LITE0)
    assert len(view.notes) == 1 and words in view.notes[0]
    assert all(value not in view.notes[0] for value in asked.values())
    assert view.example is None or view.example in EXAMPLES
    assert view.layer in LITE0.layers and (view.target == TOP1 or view.target.isdigit())
    assert view.gamma is None or 0 <= view.gamma <= 2
    assert set(view.methods) <= set(METHODS) and view.prompts == view.compare_prompts == ""


def test_opening_a_link_sets_the_controls_and_explains_and_its_echo_does_not_clear_the_maps():
    request = SimpleNamespace(session_hash="share-open")
    query = "?example=chelsea&methods=gradcam,finer-gradcam&target=285&gamma=1.2"
    assert all(isinstance(output, type(gr.skip())) for output in open_link.on_open("", request))
    outputs = open_link.on_open(query, request, lambda *args, **kwargs: None)
    assert len(outputs) == open_link.OUTPUTS
    image_path, backbone, layer, bases, finer, methods, gamma, target, *_, gallery, top5, summary = outputs[:14]
    assert (bases, finer, methods, gamma) == (["gradcam"], ["finer-gradcam"], ["gradcam", "finer-gradcam"], 1.2)
    assert target.value == "285" and len(gallery) == 2 and "Egyptian cat" in summary
    echo = handlers.on_image(image_path, "efficientnet_lite0", request)  # the page sends the image back
    assert all(isinstance(output, type(gr.skip())) for output in echo)
    assert not isinstance(handlers.on_image(image_path, "efficientnet_lite0", request)[0], type(gr.skip()))


def test_the_backbone_handler_shows_download_progress_and_still_refuses_cleanly_offline():
    progress = inspect.signature(handlers.on_backbone).parameters["progress"].default
    assert isinstance(progress, gr.Progress) and progress.track_tqdm
    with pytest.raises(gr.Error, match="ResNet-50"):
        handlers.on_backbone("resnet50", SimpleNamespace(session_hash="offline-progress"), progress)
    assert handlers.on_backbone_refused(SimpleNamespace(session_hash="offline-progress")) == "efficientnet_lite0"


def test_a_link_s_prompts_reach_a_clip_view_and_no_other():
    layer = "visual.transformer.resblocks.0.ln_1"
    query, _ = link_query(None, CLIP, ["gradcam"], None, layer, 0.6, "a cat;a dog ", "a lynx")
    asked = {key: values[0] for key, values in parse_qs(urlsplit(query).query).items()}
    assert (asked["prompts"], asked["compare"]) == ("a cat; a dog", "a lynx")
    view = fit_to(read_link(asked), load_backbone(CLIP))
    assert (view.prompts, view.compare_prompts, view.notes) == ("a cat; a dog", "a lynx", ())
    assert fit_to(read_link(asked), LITE0).prompts == ""  # a classifier has no prompt box


def test_a_link_without_an_example_keeps_its_backbone_s_layer_target_and_prompts_after_the_backbone_s_echo():
    """The link sets the backbone on the page, whose change event used to reset the layer, target and prompts
    to the backbone's defaults after the link had set them (there are no maps yet to say it is current)."""
    request = SimpleNamespace(session_hash="share-no-example")
    layer = "visual.transformer.resblocks.0.ln_1"  # not the default layer
    outputs = open_link.on_open(f"?backbone={CLIP}&layer={layer}&target=285&prompts=a%20cat", request)
    _, backbone, layer_box, *_, target, prompts, _ = outputs[:10]
    assert (backbone, layer_box.value, target.value, prompts.value) == (CLIP, layer, "285", "a cat")
    echo = [handlers.on_backbone(CLIP, request), handlers.on_backbone_loaded(None, CLIP, request)]
    assert all(isinstance(output, type(gr.skip())) for outputs in echo for output in outputs)
    assert handlers.on_backbone_refused(request) == CLIP  # a refused backbone later goes back to the link's
    assert isinstance(handlers.on_backbone(LITE0.name, request)[0], gr.Dropdown)
    assert handlers.on_backbone(CLIP, request)[0].value == load_backbone(CLIP).default_layer  # the echo came once
