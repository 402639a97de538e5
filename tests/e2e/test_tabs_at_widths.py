"""The newer tabs and panels at phone width (390 px) and desktop width (1366 px), after their main action ran:
Across layers (the methods × layers grid), Learn (anatomy figures, the toy), Sanity check (strip and curve)
and the Compare panel. On a phone: no sideways page scroll, every picture inside the screen, not cut off by
its box and drawn at a readable scale, whole captions; on a desktop: the layer grid and the sanity strip with
no inner scroll box.

One app, one page per width (module scope), the cheapest settings each tab offers: two fast methods, one
method for the sanity check.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from page_actions import DESKTOP, PHONE, TIMEOUT_MS, choose_methods, explain_and_wait, open_page, upload_and_wait
from playwright.sync_api import expect

CHELSEA = str(Path(__file__).resolve().parents[2] / "assets" / "chelsea.png")
METHODS = ("Grad-CAM", "Layer-CAM")  # two maps that differ at the default layer: the compare pair
LITE0_LAYERS = 8
SANITY_TIMEOUT_MS = 300_000  # 11 Lite0 runs on a shared 2-core machine
READABLE = 0.6  # a figure shown at less than 60 % of its drawn size has unreadable text

PROBLEMS = """([selector, readable]) => {
  const width = window.innerWidth, problems = [];
  const page = document.documentElement.scrollWidth;
  if (page > width) problems.push(`the page scrolls sideways: ${page} px > ${width} px`);
  for (const image of document.querySelectorAll(selector)) {
    const box = image.getBoundingClientRect(), name = (image.closest('[id]') || {}).id;
    if (box.width === 0) continue;  // hidden (the other width's drawing)
    if (box.right > width + 0.5) problems.push(`${name}: an image ends at ${Math.round(box.right)} px`);
    const block = image.closest('.block').getBoundingClientRect();
    if (box.bottom > block.bottom + 0.5) problems.push(`${name}: an image is cut off by its box`);
    if (readable && box.width < readable * image.naturalWidth)
      problems.push(`${name}: shown at ${Math.round(box.width)} of its ${image.naturalWidth} px`);
  }
  return problems; }"""
CUT_CAPTIONS = """selector => [...document.querySelectorAll(selector)]
  .filter(caption => caption.offsetParent !== null && caption.scrollWidth > caption.clientWidth + 1)
  .map(caption => caption.innerText)"""
INNER_SCROLL = """selector => [...document.querySelectorAll(selector)].flatMap(image => {
  for (let box = image.parentElement; box && box !== document.body; box = box.parentElement) {
    const style = getComputedStyle(box);
    const scrolls = /auto|scroll/.test(style.overflowX + style.overflowY);
    if (scrolls && (box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1))
      return [(box.closest('[id]') || {}).id];
  }
  return []; })"""
LOADED = """selector => { const shown = [...document.querySelectorAll(selector)].filter(i => i.offsetParent !== null);
  return shown.length > 0 && shown.every(i => i.complete && i.naturalWidth > 0); }"""


def open_tab(page, name: str) -> None:
    """Click a tab; on a phone the later tabs sit behind the "More tabs" menu."""
    tab = page.get_by_role("tab", name=name)
    if tab.count() == 0:
        page.get_by_role("button", name="More tabs").click()
        page.locator(".overflow-dropdown button", has_text=name).click()
    else:
        tab.click()


def wait_shown(page, selector: str, timeout: int = TIMEOUT_MS) -> None:
    """Wait until the visible images under ``selector`` have loaded (scrolled to first: they load lazily)."""
    page.locator(f"{selector} >> visible=true").first.scroll_into_view_if_needed()
    page.wait_for_function(LOADED, arg=f"{selector} img", timeout=timeout)


def problems(page, selectors: str, readable: float = 0) -> list[str]:
    """What is wrong with the page and the images under ``selectors`` (comma-separated), at its width."""
    images = ", ".join(f"{selector.strip()} img" for selector in selectors.split(","))
    return page.evaluate(PROBLEMS, [images, readable])


def cut_captions(page, selector: str) -> list[str]:
    return page.evaluate(CUT_CAPTIONS, f"{selector} .caption-label")


def explained_page(browser, url: str, viewport: dict):
    page = open_page(browser, url, viewport)
    upload_and_wait(page, CHELSEA)
    choose_methods(page, METHODS)
    explain_and_wait(page, len(METHODS))
    return page


def sweep(page) -> None:
    open_tab(page, "Across layers")
    page.locator("#sweep_layers").click()
    page.wait_for_function(
        "n => { const s = [...document.querySelectorAll('#layer_grid img')];"
        " return s.length === n && s.every(i => i.complete && i.naturalWidth > 0); }",
        arg=len(METHODS) * LITE0_LAYERS,
        timeout=TIMEOUT_MS,
    )


def run_sanity(page) -> None:
    """The sanity check with one method (Grad-CAM), until its strip and curve are shown."""
    open_tab(page, "Sanity check")
    methods = page.locator("#sanity_methods")
    for box in methods.get_by_role("checkbox").all():
        box.set_checked(False)
    methods.get_by_label("Grad-CAM", exact=True).set_checked(True)
    page.locator("#sanity_run").click()
    expect(page.locator("#sanity_table")).to_contain_text("Grad-CAM", timeout=SANITY_TIMEOUT_MS)
    wait_shown(page, "[id^=sanity_strip]")
    wait_shown(page, "#sanity_curve")


@pytest.fixture(scope="module")
def phone(browser, app_url):
    page = explained_page(browser, app_url, PHONE)
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def desktop(browser, app_url):
    page = explained_page(browser, app_url, DESKTOP)
    yield page
    page.context.close()


def test_on_a_phone_the_compare_panel_fits_and_its_difference_map_is_as_wide_as_the_slider(phone):
    phone.get_by_text("Compare two maps").click()
    expect(phone.locator("#compare_numbers")).to_contain_text("Spearman ρ", timeout=TIMEOUT_MS)
    wait_shown(phone, "#compare_difference")
    assert problems(phone, "#compare_slider, #compare_difference") == []
    difference = phone.locator("#compare_difference img").bounding_box()
    slider = phone.locator("#compare_slider img").first.bounding_box()
    assert difference["width"] >= 0.9 * slider["width"]  # stacked over the numbers, not squeezed beside them


def test_on_a_phone_the_layer_grid_shows_every_tile_inside_the_screen_with_whole_captions(phone):
    sweep(phone)
    assert problems(phone, "#layer_grid") == []
    assert cut_captions(phone, "#layer_grid") == []
    assert phone.evaluate(INNER_SCROLL, "#layer_grid img") == []


def test_on_a_phone_the_learn_figures_fit_and_read_and_the_toy_shows_all_four_panels(phone):
    open_tab(phone, "Learn")
    expect(phone.locator("#anatomy_caption")).to_contain_text("layer blocks.5", timeout=TIMEOUT_MS)
    for selector in ("[id^=anatomy_weights]", "[id^=anatomy_sums]", "#hirescam_demo", "#switch_map"):
        wait_shown(phone, selector)
    assert problems(phone, "[id^=anatomy_weights], [id^=anatomy_sums]", READABLE) == []
    assert problems(phone, "#hirescam_demo, #switch_map") == []
    assert cut_captions(phone, "#hirescam_demo") == []


def test_on_a_phone_the_sanity_strip_and_curve_fit_and_read(phone):
    run_sanity(phone)
    assert problems(phone, "[id^=sanity_strip], #sanity_curve", READABLE) == []


def test_on_a_desktop_the_layer_grid_and_the_sanity_strip_need_no_inner_scroll(desktop):
    sweep(desktop)
    assert problems(desktop, "#layer_grid") == []
    assert cut_captions(desktop, "#layer_grid") == []  # the layer's name is the point of each caption
    assert desktop.evaluate(INNER_SCROLL, "#layer_grid img") == []
    run_sanity(desktop)
    assert problems(desktop, "[id^=sanity_strip], #sanity_curve", READABLE) == []
    assert desktop.evaluate(INNER_SCROLL, "[id^=sanity_strip] img") == []
