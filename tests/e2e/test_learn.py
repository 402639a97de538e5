"""The Learn tab in the browser: opening it shows the anatomy (bar chart and channel maps), the HiResCAM toy
follows the chosen zero-weight region, the two-object map follows the target, and a visitor's own Explain
results can be taken apart."""

from __future__ import annotations

import pytest
from page_actions import DESKTOP, TIMEOUT_MS, choose_methods, explain_and_wait, open_page, upload_and_wait
from playwright.sync_api import expect

LOADED = """sel => { const i = document.querySelector(sel + ' img');
  return i !== null && i.complete && i.naturalWidth > 0; }"""
CHANGED = """([sel, old]) => { const s = [...document.querySelectorAll(sel + ' img')].map(i => i.src);
  return s.length > 0 && JSON.stringify(s) !== JSON.stringify(old); }"""


@pytest.fixture()
def desktop(browser, app_url):
    page = open_page(browser, app_url, DESKTOP)
    yield page
    page.context.close()


def sources(page, selector: str) -> list[str]:
    return page.locator(f"{selector} img").evaluate_all("images => images.map(image => image.src)")


def open_learn(page) -> None:
    page.get_by_role("tab", name="Learn").click()
    for selector in ("#anatomy_weights", "#anatomy_sums", "#switch_map"):
        page.wait_for_function(LOADED, arg=selector, timeout=TIMEOUT_MS)


def test_learn_tab_shows_the_anatomy_and_the_toy_and_the_target_switch_respond(desktop):
    open_learn(desktop)
    expect(desktop.locator("#anatomy_caption")).to_contain_text("layer blocks.5", timeout=TIMEOUT_MS)
    assert desktop.locator("#anatomy_sums img").evaluate("i => i.naturalWidth") > desktop.locator(
        "#anatomy_weights img"
    ).evaluate("i => i.naturalWidth")  # the sums figure is the wide one: channels, rest, map, overlay

    toy_before = sources(desktop, "#hirescam_demo")
    desktop.locator("#toy_region").get_by_label("left half").check()
    desktop.wait_for_function(CHANGED, arg=["#hirescam_demo", toy_before], timeout=TIMEOUT_MS)
    expect(desktop.locator("#toy_why")).to_contain_text("W = 0 on the left half")

    radios = desktop.locator("#switch_target").get_by_role("radio")
    assert radios.count() == 5
    map_before = sources(desktop, "#switch_map")
    desktop.locator("#switch_target").get_by_label("Egyptian cat", exact=False).check()  # espresso is the top-1
    desktop.wait_for_function(CHANGED, arg=["#switch_map", map_before], timeout=TIMEOUT_MS)


def test_own_explain_results_are_taken_apart_and_say_the_maps_coincide_at_the_last_layer(desktop, chelsea_path):
    upload_and_wait(desktop, chelsea_path)
    choose_methods(desktop, ["Grad-CAM"])
    explain_and_wait(desktop, 1)
    open_learn(desktop)
    before = sources(desktop, "#anatomy_sums")
    desktop.locator("#anatomy_own").click()
    desktop.wait_for_function(CHANGED, arg=["#anatomy_sums", before], timeout=TIMEOUT_MS)
    caption = desktop.locator("#anatomy_caption")
    expect(caption).to_contain_text("layer bn2")
    expect(caption).to_contain_text("the same map")
