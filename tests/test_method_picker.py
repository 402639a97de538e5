"""The compact method picker: the base methods, one "+ Finer-CAM of" toggle per base that has a variant, and
the list of method ids Explain takes. Every set of ids is exactly one pick and back (presets, share links, the
old default "Grad-CAM, HiResCAM, Finer-Grad-CAM, Abs-CAM" that one global Finer toggle could not show)."""

from __future__ import annotations

import pytest

from cam_methods import METHODS
from studio.choices import PRESETS, default_methods
from studio.method_picker import as_pick, base_methods, finer_choices, finer_variants, pick_order, picked

OLD_DEFAULT = ["gradcam", "hirescam", "finer-gradcam", "abscam"]  # Finer for Grad-CAM only
CASES = {
    **{f"preset {name}": ids for name, ids in PRESETS.items()},
    "default": default_methods(),
    "old default": OLD_DEFAULT,
    **{f"{variant} alone": [variant] for variant in finer_variants().values()},
    "nothing": [],
}


def test_each_finer_toggle_is_its_base_s_registered_variant_labelled_by_the_base():
    variants = finer_variants()
    assert len(variants) == 8 and all(METHODS[variant].base == base for base, variant in variants.items())
    assert set(base_methods()) | set(variants.values()) == set(METHODS) and len(pick_order()) == len(METHODS)
    labels = dict((value, label) for label, value in finer_choices())
    assert labels["finer-gradcam"] == "Grad-CAM" and labels["finer-scorecam"] == "Score-CAM · slow"
    assert "eigencam" not in variants  # Eigen-CAM has no Finer variant: no toggle


@pytest.mark.parametrize("ids", CASES.values(), ids=CASES.keys())
def test_a_pick_of_ids_shows_exactly_those_ids_and_gives_them_back(ids):
    bases, finer = as_pick(ids)
    assert set(bases) <= set(base_methods()) and set(finer) <= set(finer_variants().values())
    assert set(bases) | set(finer) == set(ids) and sorted(picked(bases, finer)) == sorted(ids)


def test_finer_for_one_base_adds_that_variant_only_right_after_its_base():
    assert picked(["gradcam", "hirescam", "abscam"], ["finer-gradcam"]) == OLD_DEFAULT[:1] + [
        "finer-gradcam", "hirescam", "abscam"
    ]  # fmt: skip
    assert as_pick(OLD_DEFAULT) == (["gradcam", "hirescam", "abscam"], ["finer-gradcam"])
    assert picked([], ["finer-layercam"]) == ["finer-layercam"]  # a Finer variant without its base: on its own
    assert picked(["eigencam"], None) == ["eigencam"] and picked(None, None) == []
