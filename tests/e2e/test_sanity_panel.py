"""The Sanity check tab in headless Chromium: the cost before running, then the strip of maps and the curve."""

from __future__ import annotations

from page_actions import upload_and_wait
from playwright.sync_api import expect

SANITY_TIMEOUT_MS = 300_000  # 11 Lite0 runs on a shared 2-core machine


def test_sanity_tab_shows_the_cost_then_the_strip_and_the_curve(page, chelsea_path):
    upload_and_wait(page, chelsea_path)
    page.get_by_role("tab", name="Sanity check").click()
    methods = page.locator("#sanity_methods")
    for box in methods.get_by_role("checkbox").all():
        box.set_checked(False)
    methods.get_by_label("Grad-CAM", exact=True).set_checked(True)
    expect(page.locator("#sanity_cost")).to_contain_text("11 runs", timeout=60_000)
    expect(page.locator("#sanity_cost")).to_contain_text("head → blocks.0")
    page.locator("#sanity_run").click()
    page.locator("#sanity_strip img").first.wait_for(timeout=SANITY_TIMEOUT_MS)
    page.locator("#sanity_curve img, #sanity_curve svg").first.wait_for(timeout=SANITY_TIMEOUT_MS)
    table = page.locator("#sanity_table")
    expect(table).to_contain_text("Grad-CAM", timeout=SANITY_TIMEOUT_MS)
    expect(table).to_contain_text("Egyptian cat")  # the top-1 on the whole picture
    assert page.locator("#sanity_strip img").first.evaluate("image => image.naturalWidth") > 500
    assert "Traceback" not in page.content()
