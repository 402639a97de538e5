"""The evidence views in headless Chromium: the Across-layers grid (methods × layers tiles from one sweep)
and the compare panel (names on the slider's sides, the difference image and the two numbers)."""

from __future__ import annotations

from page_actions import TIMEOUT_MS, choose_methods, upload_and_wait
from playwright.sync_api import expect

TWO = ("Grad-CAM", "HiResCAM")
LITE0_LAYERS = 8  # blocks.0 … blocks.6 and bn2


def test_the_across_layers_tab_shows_one_tile_per_method_and_layer(page, chelsea_path):
    upload_and_wait(page, chelsea_path)
    choose_methods(page, TWO)
    page.get_by_role("tab", name="Across layers").click()
    page.locator("#sweep_layers").click()
    count = len(TWO) * LITE0_LAYERS
    page.wait_for_function(
        "n => { const s = [...document.querySelectorAll('#layer_grid img')];"
        " return s.length === n && s.every(i => i.complete && i.naturalWidth > 0); }",
        arg=count,
        timeout=TIMEOUT_MS,
    )
    captions = page.locator("#layer_grid .caption-label").all_inner_texts()
    assert captions[:2] == ["Grad-CAM · blocks.0", "Grad-CAM · blocks.1"]  # row by row: a method at every layer
    assert captions[LITE0_LAYERS] == "HiResCAM · blocks.0"
    expect(page.locator("#sweep_status")).to_contain_text(f"2 methods × {LITE0_LAYERS} layers")


def test_the_compare_panel_shows_the_names_the_difference_and_both_numbers(page, chelsea_path):
    upload_and_wait(page, chelsea_path)
    choose_methods(page, ("Grad-CAM", "Layer-CAM"))
    page.locator("#run").click()
    page.wait_for_function("document.querySelectorAll('#gallery img').length >= 2", timeout=TIMEOUT_MS)
    page.get_by_text("Compare two maps").click()
    expect(page.locator("#compare_left_name")).to_contain_text("Grad-CAM", timeout=TIMEOUT_MS)
    expect(page.locator("#compare_right_name")).to_contain_text("Layer-CAM")
    numbers = page.locator("#compare_numbers")
    expect(numbers).to_contain_text("Spearman ρ = 0.", timeout=TIMEOUT_MS)
    expect(numbers).to_contain_text("Top-15 % IoU = ")
    page.wait_for_function(
        "() => { const i = document.querySelector('#compare_difference img'); return i && i.complete"
        " && i.naturalWidth > 0; }",
        timeout=TIMEOUT_MS,
    )
