"""Browser timings in headless Chromium: click → last of 6 gallery images rendered; Finer slider move →
updated Finer image (as Playwright sees it, and by the page's own clock); a class clicked in the top-5 and one
chosen in the target dropdown (a new target) → its 6 maps rendered. Then it scores faithfulness and saves
docs/screenshot_desktop.png (1366×768) and docs/screenshot_phone.png (390×844).
Bounded: ``repeats`` runs of each.

Run: ``HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False .venv/bin/python benchmarks/browser.py [repeats]``
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from app_fixtures import launched_app  # noqa: E402
from e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from e2e.page_actions import DESKTOP, PHONE, choose_methods  # noqa: E402
from PIL import Image  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

SIX = (  # three bases and their Finer variants: six maps, all different
    "Grad-CAM", "Finer-Grad-CAM", "Layer-CAM", "Finer-Layer-CAM", "Abs-CAM (phase 1)", "Finer-Abs-CAM (phase 1)"
)  # fmt: skip
ALL_NEW = "old => { const s = [...document.querySelectorAll('#gallery img')]; return s.length >= 6 && s.every(i => !old.includes(i.src) && i.complete && i.naturalWidth > 0); }"  # noqa: E501
SCORED = "() => !document.body.innerText.includes('scoring faithfulness') && document.querySelector('#faithfulness_table')?.innerText.includes('Layer-CAM')"  # noqa: E501
TARGETS = ("tabby, tabby cat (#281)", "lynx, catamount (#287)")  # chosen in turn from the target dropdown
SETTLE_MS = 1000  # the page left idle before each timed action (see ``timed``)
FINER_CHANGED = "old => { const i = document.querySelectorAll('#gallery img')[1]; return i && i.src !== old && i.complete && i.naturalWidth > 0; }"  # noqa: E501
IN_PAGE_CLOCK = """() => {
  const range = document.querySelector('#finer_gamma input[type=range]');
  range.addEventListener('input', () => { window.slider_moved = performance.now(); window.finer_loaded = null; }, true);
  document.querySelector('#gallery').addEventListener('load', event => {
    if (event.target === document.querySelectorAll('#gallery img')[1] && window.finer_loaded == null)
      window.finer_loaded = performance.now(); }, true); }"""
"""The page's own clock for a slider move: from the range input's ``input`` event to the ``load`` event of the
Finer image (without Playwright's command round trip and polling, which the row above includes)."""
IN_PAGE = "slider → Finer map updated, page clock"


def main(repeats: int = 5) -> None:
    for url in launched_app():
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            timings = measure(browser.new_page(viewport=DESKTOP), url, repeats)
            phone = browser.new_page(viewport=PHONE)
            prepared(phone, url).locator("#run").click()
            phone.wait_for_function(ALL_NEW, arg=[], timeout=60_000)
            screenshot(phone, "screenshot_phone.png")
            browser.close()
        for name, seconds in timings.items():
            print(f"{name}: median {statistics.median(seconds) * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms")


def prepared(page, url: str):
    """The page with chelsea uploaded and the six methods ticked."""
    page.goto(url, wait_until="load")
    page.locator("#image_input input[type=file]").set_input_files(str(ROOT / "assets" / "chelsea.png"))
    page.locator("#top5").get_by_text("tiger cat").first.wait_for(timeout=60_000)
    choose_methods(page, SIX)
    return page


def timed(page, action, condition: str, arg) -> float:
    """Seconds from ``action`` until ``condition`` holds in the page. The page is first left idle for
    ``SETTLE_MS``, as a user looks at a result before the next move: otherwise a row also times the tail of the
    previous action (the compare panel's update after a run, on a busy 2-core machine ~0.2 s of the slider's
    row)."""
    page.wait_for_timeout(SETTLE_MS)
    started = time.perf_counter()
    action()
    page.wait_for_function(condition, arg=arg, timeout=60_000)
    return time.perf_counter() - started


def measure(page, url: str, repeats: int) -> dict[str, list[float]]:
    """Click → maps, slider → Finer map, top-5 click → maps and target dropdown → maps, ``repeats`` times; then
    the desktop screenshot."""
    prepared(page, url)
    rows = ("click", "slider → Finer map updated", IN_PAGE, "top-5 click", "target dropdown")
    timings = {row if "→" in row else f"{row} → 6 maps rendered": [] for row in rows}
    page.evaluate(IN_PAGE_CLOCK)
    sources = lambda: page.locator("#gallery img").evaluate_all("images => images.map(image => image.src)")  # noqa: E731
    for repeat in range(repeats):
        click = lambda: page.locator("#run").click()  # noqa: E731
        timings["click → 6 maps rendered"].append(timed(page, click, ALL_NEW, sources()))
        gamma = 0.8 + 0.2 * (repeat % 6)  # 0.8 … 1.8: always a move, always within the slider's 0–2
        slide = lambda gamma=gamma: page.locator("#finer_gamma input[type=range]").fill(f"{gamma:.2f}")  # noqa: E731
        old = page.locator("#gallery img").nth(1).get_attribute("src")
        timings["slider → Finer map updated"].append(timed(page, slide, FINER_CHANGED, old))
        timings[IN_PAGE].append(page.evaluate("() => (window.finer_loaded - window.slider_moved) / 1000"))
        name = "Egyptian cat" if repeat % 2 == 0 else "tiger cat"
        pick = lambda name=name: page.locator("#top5").get_by_text(name).last.click()  # noqa: E731
        timings["top-5 click → 6 maps rendered"].append(timed(page, pick, ALL_NEW, sources()))
        page.locator("#target input").click()
        page.locator("#target input").fill(TARGETS[repeat % 2][:5])
        option = page.get_by_role("option", name=TARGETS[repeat % 2], exact=True)
        timings["target dropdown → 6 maps rendered"].append(timed(page, option.click, ALL_NEW, sources()))
    page.locator("#score").click()  # not timed: fills the Faithfulness panel for the screenshot
    page.wait_for_function(SCORED, timeout=300_000)
    screenshot(page, "screenshot_desktop.png")
    return timings


def screenshot(page, name: str) -> None:
    """The whole page, in 256 colours so that the PNG stays small."""
    path = ROOT / "docs" / name
    page.screenshot(path=str(path), full_page=True)
    Image.open(path).convert("RGB").quantize(colors=256).save(path, optimize=True)


if __name__ == "__main__":
    main(*[int(argument) for argument in sys.argv[1:2]])
