"""The Learn tab: the method table comes from METHODS, and the HiResCAM demonstration shows its point."""

from __future__ import annotations

from cam_methods import METHODS, explain
from studio import learn, toy


def test_demonstration_gradcam_lights_the_ignored_square_and_hirescam_does_not():
    result = explain(toy.toy_backbone(), toy.toy_input(), ["gradcam", "hirescam"], target="left", finer_refs=1)
    half = toy.SIDE // 2
    ignored = (slice(3, 5), slice(5, 7))  # the right square: zero weight for "left"
    assert result.maps["gradcam"][ignored].min() > 0.5
    assert (result.maps["hirescam"][:, half:] == 0).all()
    assert result.maps["hirescam"][3:5, 1:3].min() == 1.0
    assert [caption for _, caption in toy.demonstration()][1:] == ["Grad-CAM for “left”", "HiResCAM for “left”"]


def test_methods_table_has_a_row_per_registered_method_with_its_formula():
    rows = learn.methods_table().splitlines()[2:]
    assert len(rows) == len(METHODS)
    for row, info in zip(rows, METHODS.values(), strict=True):
        assert info.formula.replace("|", "\\|") in row and info.paper in row
