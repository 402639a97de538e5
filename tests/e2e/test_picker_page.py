"""The compact method picker in Chromium: Finer-CAM ticked for one base only adds exactly that base's Finer map,
on a phone without a sideways page scroll; and the browser's pick (PICK_JS) equals the server's (picked)."""

from __future__ import annotations

import pytest
from page_actions import DESKTOP, PHONE, captions, choose_methods, explain_and_wait, open_page, upload_and_wait

from cam_methods import METHODS
from studio.choices import PRESETS
from studio.method_picker import PICK_JS, as_pick, finer_variants, picked

PICK_CASES = [
    *[as_pick(ids) for ids in PRESETS.values()],
    (["gradcam", "hirescam", "abscam"], ["finer-gradcam"]),  # the old default pick
    *[([], [variant]) for variant in finer_variants().values()],  # each Finer variant alone
    (["layercam", "gradcam", "eigencam"], ["finer-scorecam", "finer-layercam"]),  # out of order, unrelated bases
    ([], []),
    (None, None),
]
OLD_PICKER_PX = 377  # the methods group and one global Finer toggle at 390×844, before the per-base toggles
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_finer_for_one_base_shows_exactly_that_base_and_its_finer_map(browser, app_url, chelsea_path, viewport):
    page = open_page(browser, app_url, viewport)
    upload_and_wait(page, chelsea_path)
    choose_methods(page, ("Grad-CAM", "Layer-CAM", "Finer-Layer-CAM"))  # Finer for Layer-CAM, not for Grad-CAM
    explain_and_wait(page, 3)
    assert [text.split(" · ")[0] for text in captions(page)] == ["Grad-CAM", "Layer-CAM", "Finer-Layer-CAM"]
    bases, finer = page.locator("#methods").bounding_box(), page.locator("#finer_of").bounding_box()
    assert page.evaluate(OVERFLOW) <= 0 and finer["x"] + finer["width"] <= viewport["width"]
    assert finer["y"] + finer["height"] - bases["y"] < OLD_PICKER_PX  # compact: smaller than one toggle made it
    page.context.close()


def test_the_browser_picks_the_same_ids_as_the_server(browser):
    page = browser.new_page()  # PICK_JS needs no app, only a JavaScript engine
    got = page.evaluate(f"cases => cases.map(([bases, finer]) => ({PICK_JS})(bases, finer)[0])", PICK_CASES)
    assert got == [picked(bases, finer) for bases, finer in PICK_CASES]
    assert got[-3] == ["gradcam", "layercam", "finer-layercam", "eigencam", "finer-scorecam"]  # the registry's order
    assert set(got[0]) == set(PRESETS["Fast"]) and all(set(ids) <= set(METHODS) for ids in got)
    page.close()
