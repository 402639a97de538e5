"""The comparison canvas on a phone (390×844) and a laptop (1366×768): every map at a readable size with its
whole caption, no inner scroll box, no horizontal page scroll, a colour bar, and errors as one sentence."""

from __future__ import annotations

import pytest
from app_fixtures import bad_uploads
from page_actions import (
    DESKTOP,
    PHONE,
    TIMEOUT_MS,
    captions,
    choose_methods,
    explain_and_wait,
    gallery_sources,
    open_page,
    upload,
    upload_and_wait,
)

FOUR = ("Grad-CAM", "HiResCAM", "Layer-CAM", "Finer-Grad-CAM", "Finer-HiResCAM", "Finer-Layer-CAM")  # 4 tiles
TWELVE = (
    "Grad-CAM", "HiResCAM", "Grad-CAM++", "XGrad-CAM", "Layer-CAM", "Abs-CAM (phase 1)",
    "Finer-Grad-CAM", "Finer-HiResCAM", "Finer-Grad-CAM++", "Finer-XGrad-CAM", "Finer-Layer-CAM",
    "Finer-Abs-CAM (phase 1)",
)  # fmt: skip
GRID = """() => {
  const wrap = document.querySelector('#gallery .grid-wrap');
  const images = [...document.querySelectorAll('#gallery img')].map(i => i.getBoundingClientRect());
  const labels = [...document.querySelectorAll('#gallery .caption-label')];
  return {
    pageOverflow: document.documentElement.scrollWidth - window.innerWidth,
    innerScroll: wrap.scrollHeight - wrap.clientHeight,
    columns: new Set(images.map(r => Math.round(r.left))).size,
    narrowest: Math.min(...images.map(r => r.width)),
    cutCaptions: labels.filter(l => l.scrollWidth > l.clientWidth + 1 || l.scrollHeight > l.clientHeight + 1
      || l.getBoundingClientRect().right > window.innerWidth).length,
  };
}"""


@pytest.fixture()
def phone(browser, app_url):
    page = open_page(browser, app_url, PHONE)
    yield page
    page.context.close()


@pytest.fixture()
def desktop(browser, app_url):
    page = open_page(browser, app_url, DESKTOP)
    yield page
    page.context.close()


def test_phone_grid_has_one_or_two_columns_whole_captions_and_no_sideways_scroll(phone, chelsea_path):
    upload_and_wait(phone, chelsea_path)
    choose_methods(phone, FOUR)
    explain_and_wait(phone, 4)  # at the default layer bn2, Grad-CAM and HiResCAM are one map, and their Finer maps
    phone.wait_for_function(  # Explain brought the results (under the inputs) into view
        "() => { const top = document.querySelector('#status').getBoundingClientRect().top;"
        " return top >= 0 && top < innerHeight / 2; }",
        timeout=5_000,
    )
    grid = phone.evaluate(GRID)
    assert grid["pageOverflow"] <= 0 and grid["innerScroll"] <= 1
    assert grid["columns"] in (1, 2) and grid["narrowest"] >= 150  # of 390 px
    assert grid["cutCaptions"] == 0
    texts = captions(phone)
    names = [text.split(" · ")[0] for text in texts]
    assert names == ["Grad-CAM = HiResCAM", "Finer-Grad-CAM = Finer-HiResCAM", "Layer-CAM", "Finer-Layer-CAM"]
    assert "identical maps" in texts[0] and all(text.endswith(" ms") for text in texts)


def test_desktop_grid_shows_twelve_maps_without_an_inner_scroll_box(desktop, chelsea_path):
    upload_and_wait(desktop, chelsea_path)
    choose_layer(desktop, "blocks.6")  # where no two of the twelve coincide
    choose_methods(desktop, TWELVE)
    explain_and_wait(desktop, 12)
    grid = desktop.evaluate(GRID)
    assert grid["innerScroll"] <= 1 and grid["pageOverflow"] <= 0
    assert grid["columns"] >= 3 and grid["narrowest"] >= 150 and grid["cutCaptions"] == 0
    names = [text.split(" · ")[0] for text in captions(desktop)]
    assert names.index("Finer-Layer-CAM") == names.index("Layer-CAM") + 1  # each Finer variant after its base


def test_the_colour_bar_shows_the_signed_scale_in_raw_mode(desktop):
    legend = desktop.locator("#legend")
    assert "0 · no evidence" in legend.inner_text() and "−1" not in legend.inner_text()
    desktop.locator("#legend").scroll_into_view_if_needed()
    desktop.get_by_text("Advanced").click()
    desktop.locator("#signed input").check()
    legend.get_by_text("−1 against the target").wait_for(timeout=TIMEOUT_MS)


def choose_layer(page, layer: str) -> None:
    if not page.locator("#layer").is_visible():
        page.get_by_text("Advanced").click()
    page.locator("#layer input").click()
    page.get_by_role("option", name=layer, exact=True).click()


def test_identical_maps_are_one_tile_with_the_reason_and_an_earlier_layer_separates_them(desktop, chelsea_path):
    upload_and_wait(desktop, chelsea_path)
    choose_methods(desktop, ("CAM", "Grad-CAM", "HiResCAM", "XGrad-CAM"))
    explain_and_wait(desktop, 1)
    assert captions(desktop)[0].startswith("CAM = Grad-CAM = HiResCAM = XGrad-CAM · identical maps")
    assert (
        "GAP" in desktop.locator("#summary").inner_text()
        or "average pooling" in desktop.locator("#summary").inner_text()
    )
    desktop.locator("#earlier").click()
    desktop.locator("#summary").get_by_text("blocks.6").wait_for(timeout=TIMEOUT_MS)
    desktop.wait_for_function("document.querySelectorAll('#gallery img').length === 3", timeout=TIMEOUT_MS)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_empty_page_fits_the_width_and_explain_is_near_the_image(browser, app_url, viewport):
    page = open_page(browser, app_url, viewport)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    image_bottom = page.locator("#image_input").bounding_box()
    run = page.locator("#run").bounding_box()
    assert run["y"] - (image_bottom["y"] + image_bottom["height"]) < 120
    assert not page.locator("#download_file").is_visible() and not page.locator("#preview").is_visible()
    page.context.close()


BADGES = """() => [...document.querySelectorAll('.error')].filter(e => !e.closest('.toast-body, #status')
  && !String(e.className).includes('toast') && e.offsetParent !== null).length"""


def test_an_unavailable_backbone_says_one_sentence_reverts_and_keeps_the_maps(desktop, chelsea_path):
    upload_and_wait(desktop, chelsea_path)
    choose_methods(desktop, ("Grad-CAM", "Layer-CAM"))
    before = explain_and_wait(desktop, 2)
    desktop.locator("#backbone input").click()
    desktop.get_by_role("option").filter(has_text="weights unavailable offline").first.click()
    toast = desktop.locator(".toast-body")
    toast.first.wait_for(timeout=TIMEOUT_MS)
    desktop.wait_for_function(
        "() => document.querySelector('#backbone input').value.includes('EfficientNet-Lite0')", timeout=TIMEOUT_MS
    )
    assert toast.count() == 1 and "Traceback" not in toast.inner_text()
    assert desktop.evaluate(BADGES) == 0
    assert gallery_sources(desktop) == before and desktop.locator("#target input").is_visible()


def test_a_corrupt_upload_says_one_sentence_without_badges(desktop, tmp_path):
    upload(desktop, str(bad_uploads(tmp_path)["corrupt"]))
    desktop.locator(".toast-body").get_by_text("corrupt", exact=False).or_(
        desktop.locator(".toast-body").get_by_text("not an image", exact=False)
    ).first.wait_for(timeout=TIMEOUT_MS)
    assert desktop.evaluate(BADGES) == 0


def test_a_layer_change_a_top5_click_or_a_chosen_target_rerenders_without_a_click_on_explain(desktop, chelsea_path):
    upload_and_wait(desktop, chelsea_path)
    choose_methods(desktop, ("Grad-CAM", "Score-CAM · slow"))
    explain_and_wait(desktop, 2)
    assert not any("slow" in text for text in captions(desktop))
    summary = desktop.locator("#summary")
    choose_layer(desktop, "blocks.5")
    summary.get_by_text("blocks.5").wait_for(timeout=TIMEOUT_MS)
    texts = captions(desktop)
    assert texts[0].startswith("Grad-CAM · ") and texts[1] == "Score-CAM · out of date — press Explain"
    assert "Out of date" in summary.inner_text()
    desktop.locator("#top5").get_by_text("Egyptian cat").first.click()
    summary.get_by_text("Egyptian cat", exact=False).first.wait_for(timeout=TIMEOUT_MS)
    desktop.wait_for_function(
        "() => document.querySelector('#summary').innerText.includes('Target: Egyptian cat')", timeout=TIMEOUT_MS
    )
    desktop.locator("#target input").click()  # a class chosen in the dropdown re-runs too, and Explain keeps it
    desktop.locator("#target input").fill("lynx")
    desktop.get_by_role("option", name="lynx, catamount (#287)", exact=True).click()
    has_target = "name => document.querySelector('#summary').innerText.includes('Target: ' + name)"
    desktop.wait_for_function(has_target, arg="lynx", timeout=TIMEOUT_MS)
    desktop.locator("#run").click()  # Score-CAM is recomputed: the summary's "Out of date" line goes
    done = "() => !document.querySelector('#summary').innerText.includes('Out of date')"
    desktop.wait_for_function(done, timeout=TIMEOUT_MS)
    assert desktop.evaluate(has_target, "lynx"), desktop.locator("#summary").inner_text()


def test_a_preset_ticks_its_methods(desktop):
    desktop.locator("#presets").get_by_text("All gradient", exact=False).click()
    boxes = desktop.locator("#methods").get_by_role("checkbox")
    desktop.wait_for_function(
        "n => document.querySelectorAll('#methods input[type=checkbox]:checked').length === n",
        arg=sum("slow" not in box.evaluate("b => b.closest('label').innerText") for box in boxes.all()),
        timeout=TIMEOUT_MS,
    )
    assert not any(
        box.is_checked() for box in boxes.all() if "slow" in box.evaluate("b => b.closest('label').innerText")
    )
    finer = desktop.locator("#finer_of").get_by_role("checkbox").all()  # the preset has the fast Finer variants
    assert all(box.is_checked() != ("slow" in box.evaluate("b => b.closest('label').innerText")) for box in finer)


def test_an_example_thumbnail_loads_its_image_from_one_short_row(phone):
    strip = phone.locator("#examples")
    assert strip.bounding_box()["height"] <= 120 and phone.locator("#examples img").count() == 5
    phone.locator("#examples img").first.click()
    phone.locator("#top5").get_by_text("tiger cat").first.wait_for(timeout=TIMEOUT_MS)
    assert phone.locator("#image_input").get_by_text("chelsea").first.is_visible()
