"""The launched app through its HTTP API (gradio_client): explain, Finer slider, download, bad inputs."""

from __future__ import annotations

import json
import re
import urllib.request
import zipfile

import pytest
from app_fixtures import GOOD_CONVERSIONS, REFUSED, bad_uploads, launched_app
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image
from random_backbones import tiny_clip_spec

from model_zoo import register_backbone
from studio.files import output_root

METHODS = ["gradcam", "hirescam", "finer-gradcam", "abscam1"]
CLIP = "test-clip"
CLIP_LAYER = "visual.transformer.resblocks.1.ln_1"


@pytest.fixture(scope="module")
def client():
    register_backbone(tiny_clip_spec(CLIP))  # before the app is built, so that its dropdown lists it
    for url in launched_app():
        yield Client(url, analytics_enabled=False, verbose=False)


@pytest.fixture(scope="module")
def uploads(tmp_path_factory):
    return bad_uploads(tmp_path_factory.mktemp("uploads"))


def explain(
    client: Client,
    image: str,
    backbone: str = "efficientnet_lite0",
    methods=METHODS,
    layer: str = "blocks.6",
    prompts: str = "",
    compare_prompts: str = "",
):
    return client.predict(
        handle_file(image),
        backbone,
        methods,
        "top1",
        prompts,
        compare_prompts,
        layer,
        0.6,
        3,
        "jet",
        0.5,
        False,
        api_name="/explain",
    )


def test_predict_lists_the_fine_grained_top5(client, chelsea_path):
    preview, top5, *_ = client.predict(handle_file(chelsea_path), "efficientnet_lite0", api_name="/predict")
    labels = [entry["label"] for entry in top5["confidences"]]
    assert labels[0].startswith("Egyptian cat") and any(label.startswith("tiger cat") for label in labels[:3])
    assert Image.open(preview).size == Image.open(chelsea_path).size


def test_explain_then_slider_changes_only_finer_maps(client, chelsea_path):
    gallery, _, summary, *_ = explain(client, chelsea_path)
    assert [item["caption"].split(" · ")[0] for item in gallery] == [
        "Grad-CAM",
        "Finer-Grad-CAM",
        "HiResCAM",
        "Abs-CAM (phase 1)",
    ]  # fmt: skip  (a Finer variant right after its base)
    assert "tiger cat" in summary and "Egyptian cat" in summary
    before = [Image.open(item["image"]).tobytes() for item in gallery]
    moved, moved_summary, compared = client.predict(
        1.5, "jet", 0.5, False, "gradcam", "finer-gradcam", api_name="/finer_gamma"
    )
    assert Image.open(compared[1]["image"] if isinstance(compared[1], dict) else compared[1]).tobytes() == (
        Image.open(moved[1]["image"]).tobytes()
    )  # the compare slider's Finer side follows the slider
    after = [Image.open(item["image"]).tobytes() for item in moved]
    changed = [b != a for b, a in zip(before, after, strict=True)]
    assert changed == [False, True, False, False]
    assert "γ = 1.50" in moved_summary


def test_session_pictures_are_handed_out_before_gradio_and_other_files_by_gradio(client):
    """The app is served with :mod:`studio.session_pictures` in front: a picture in a session folder comes with
    its immutable caching, which Gradio's own file route does not send; a zip there is still Gradio's."""
    folder = output_root() / "wiring-check"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tile.jpg").write_bytes(b"\xff\xd8 picture")
    (folder / "bundle.zip").write_bytes(b"PK zip")
    with urllib.request.urlopen(f"{client.src.rstrip('/')}/gradio_api/file={folder}/tile.jpg") as answer:
        assert answer.read() == b"\xff\xd8 picture" and "immutable" in answer.headers["Cache-Control"]
    with urllib.request.urlopen(f"{client.src.rstrip('/')}/gradio_api/file={folder}/bundle.zip") as answer:
        assert answer.read() == b"PK zip" and "immutable" not in (answer.headers["Cache-Control"] or "")


def test_download_holds_overlays_maps_and_manifest(client, chelsea_path):
    explain(client, chelsea_path, methods=["gradcam", "finer-gradcam"])
    with zipfile.ZipFile(client.predict("jet", 0.5, api_name="/download")) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
    assert {"gradcam.png", "finer-gradcam.png", "maps.npz", "input.png", "grid.pdf", "manifest.json"} <= names
    assert manifest["parameters"]["methods"] == ["gradcam", "finer-gradcam"]


def test_cam_is_skipped_with_a_note_on_a_layer_without_head(client, chelsea_path):
    gallery, _, summary, *_ = explain(client, chelsea_path, methods=["cam", "gradcam"], layer="blocks.5")
    assert len(gallery) == 1 and "Skipped" in summary and "CAM" in summary


@pytest.mark.parametrize("kind", REFUSED)
def test_refused_uploads_give_their_own_clean_sentence(client, uploads, kind):
    with pytest.raises(AppError, match=REFUSED[kind]) as caught:
        client.predict(handle_file(str(uploads[kind])), "efficientnet_lite0", api_name="/predict")
    message = str(caught.value)
    assert "Traceback" not in message and "/tmp" not in message


@pytest.mark.parametrize("kind", GOOD_CONVERSIONS)
def test_unusual_modes_are_converted_not_refused(client, uploads, kind):
    preview, top5, *_ = client.predict(handle_file(str(uploads[kind])), "efficientnet_lite0", api_name="/predict")
    assert Image.open(preview).mode == "RGB" and len(top5["confidences"]) == 5


def test_corrupt_upload_is_refused_by_explain_too(client, uploads):
    with pytest.raises(AppError, match="corrupt|not an image"):
        explain(client, str(uploads["corrupt"]))


def test_too_many_prompts_are_refused_before_any_model_work(client, chelsea_path):
    with pytest.raises(AppError, match="at most 8"):
        explain(client, chelsea_path, CLIP, ["gradcam"], CLIP_LAYER, "; ".join(f"a photo of {n}" for n in range(9)))


def test_faithfulness_button_fills_captions_table_and_curves_and_the_slider_does_not_rescore(client, chelsea_path):
    explain(client, chelsea_path, methods=["gradcam", "layercam", "finer-gradcam"])
    gallery, table, plot = client.predict("jet", 0.5, False, api_name="/metrics")
    numbers = r"del (\d\.\d{3})↓ · ins (\d\.\d{3})↑ · RD@5% (-?\d\.\d{3})↑$"
    from_captions = [[float(v) for v in re.search(numbers, item["caption"]).groups()] for item in gallery]
    assert table["headers"][:4] == ["map", "deletion AUC ↓", "insertion AUC ↑", "RD@5% ↑"]
    labels = [row[0] for row in table["data"]]
    assert labels[:3] == ["Grad-CAM", "Finer-Grad-CAM (γ = 0.60)", "Layer-CAM"] and len(labels) == 5  # + 2 baselines
    assert [[float(v.rstrip(" ★")) for v in row[1:4]] for row in table["data"][:3]] == from_captions
    assert plot is not None
    moved, *_ = client.predict(1.5, "jet", 0.5, False, None, None, api_name="/finer_gamma")
    scored = [re.search(numbers, item["caption"]) is not None for item in moved]
    assert scored == [True, False, True]  # the new Finer map is not scored until the button is pressed again


def test_clip_prompts_give_a_row_each_and_a_folder_each_in_the_download(client, chelsea_path):
    gallery, _, summary, *_ = explain(
        client,
        chelsea_path,
        CLIP,
        ["gradcam", "finer-gradcam"],
        CLIP_LAYER,
        "a photo of a cat; a photo of a dog",
        "a photo of a bird",
    )
    captions = [item["caption"].rsplit(" · ", 1)[0] for item in gallery]
    assert captions == [
        "“a photo of a cat” · Grad-CAM",
        "“a photo of a cat” · Finer-Grad-CAM",
        "“a photo of a dog” · Grad-CAM",
        "“a photo of a dog” · Finer-Grad-CAM",
    ]
    assert "Finer-CAM references for “a photo of a dog” (γ = 0.60):** a photo of a bird" in summary
    with zipfile.ZipFile(client.predict("jet", 0.5, api_name="/download")) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("prompt2/manifest.json"))
    assert {f"prompt{n}/{name}" for n in (1, 2) for name in ("gradcam.png", "maps.npz")} <= names
    assert manifest["target"]["label"] == "a photo of a dog"
    assert [reference["label"] for reference in manifest["references"]] == ["a photo of a bird"]


def test_clip_without_a_prompt_asks_for_one(client, chelsea_path):
    with pytest.raises(AppError, match="give at least one text prompt"):
        explain(client, chelsea_path, CLIP, ["gradcam"], CLIP_LAYER)
