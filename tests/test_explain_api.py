"""The public API: shapes, ranges, alignment with the uploaded image, targets and clear errors."""

import numpy as np
import pytest
from PIL import Image

from cam_methods import METHODS, SHARED_PASS_METHODS, explain
from model_zoo import BACKBONES, load_backbone


def test_bundled_model_ranks_cat_classes_top_on_chelsea(lite0, chelsea_path):
    result = explain(lite0, chelsea_path, ["gradcam"])
    top3 = {label for label, _ in result.top_k(3)}
    assert top3 == {"tiger cat", "Egyptian cat", "tabby, tabby cat"}
    assert result.probs.sum().item() == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize(("size", "input_size"), [((451, 300), (224, 352)), ((200, 500), (448, 192))])
def test_maps_are_in_unit_range_with_input_shape_and_map_back_to_the_upload(lite0, chelsea_path, size, input_size):
    """The whole picture: short side 224 (451×300), or, past 2:1, the long side capped at 448 (200×500 →
    448 × 179.2, rounded to a multiple of 32)."""
    image = Image.open(chelsea_path).convert("RGB").resize(size)
    result = explain(lite0, image, [m for m, info in METHODS.items() if not info.slow])  # slow ones: own tests
    assert tuple(result.input_tensor.shape) == (1, 3, *input_size) and result.framing == "whole"
    for method, heatmap in result.maps.items():
        assert heatmap.shape == input_size and heatmap.dtype == np.float32, method
        assert heatmap.min() >= 0 and heatmap.max() <= 1 and heatmap.max() > 0.5, method
        on_upload = result.to_image(method)
        assert on_upload.shape == (size[1], size[0]) and np.isfinite(on_upload).all(), method
        assert result.timings[method] >= 0
    signed = result.signed_map("gradcam")
    assert signed.min() >= -1 and signed.max() <= 1


def test_to_image_puts_the_input_back_where_it_came_from(lite0):
    """Use the input's own red channel as a 'map': mapped back, it must match the upload's red channel
    everywhere (the whole picture was seen)."""
    rng = np.random.default_rng(0)
    blocks = rng.integers(0, 255, size=(12, 18, 3), dtype=np.uint8)
    image = Image.fromarray(np.kron(blocks, np.ones((25, 25, 1), dtype=np.uint8)))  # 450×300, coarse pattern
    result = explain(lite0, image, ["gradcam"])
    assert result.geometry.seen_box == (0, 0, 450, 300)
    red = lite0.preprocess.denormalise(result.input_tensor)[..., 0].astype(np.float32) / 255
    result.maps["probe"] = red
    back = result.to_image("probe")
    original = np.asarray(image, dtype=np.float32)[..., 0] / 255
    inner = (slice(4, -4), slice(4, -4))
    correlation = np.corrcoef(back[inner].ravel(), original[inner].ravel())[0, 1]
    assert correlation > 0.97


def test_targets_by_index_and_by_label_name(lite0, chelsea_path):
    by_index = explain(lite0, chelsea_path, ["gradcam"], target=285)
    by_name = explain(lite0, chelsea_path, ["gradcam"], target="Egyptian cat")
    by_synonym = explain(lite0, chelsea_path, ["gradcam"], target="TABBY CAT")
    assert by_index.target == by_name.target == 285 and by_synonym.target == 281
    np.testing.assert_array_equal(by_index.maps["gradcam"], by_name.maps["gradcam"])
    assert 285 not in by_index.references


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"methods": ["nope"]}, "unknown method"),
        ({"methods": []}, "at least one method"),
        ({"methods": ["gradcam"], "target": "flying teapot"}, "unknown class"),
        ({"methods": ["gradcam"], "target": 5000}, "out of range"),
        ({"methods": ["gradcam"], "layer": "blocks.99"}, "no selectable layer"),
        ({"methods": ["cam"], "layer": "blocks.5"}, "global-average-pool"),
    ],
)
def test_bad_requests_raise_clear_errors(lite0, chelsea_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        explain(lite0, chelsea_path, **kwargs)


def test_backbone_by_name_and_cache(chelsea_path):
    assert load_backbone("efficientnet_lite0") is load_backbone("efficientnet_lite0")
    result = explain("efficientnet_lite0", chelsea_path, ["hirescam"])
    assert result.backbone.name == "efficientnet_lite0"


def test_every_layer_of_the_bundled_model_works(lite0, chelsea_path):
    for layer in lite0.layers:
        result = explain(lite0, chelsea_path, list(SHARED_PASS_METHODS[1:3]), layer=layer)
        assert result.layer == layer and result.maps["hirescam"].max() > 0


def test_backbones_listing_has_the_required_fields():
    for name, spec in BACKBONES.items():
        assert spec.name == name and spec.family in ("cnn", "vit", "clip") and spec.source
        assert isinstance(spec.available_offline, bool)
