"""Browser timings in headless Chromium: click → last of 6 gallery images rendered, and Finer slider move →
updated Finer image; then scores faithfulness and saves docs/screenshot.png. Bounded: ``repeats`` runs of each.

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
from playwright.sync_api import sync_playwright  # noqa: E402

SIX = ("Grad-CAM", "Grad-CAM++", "Layer-CAM", "Abs-CAM (phase 1)", "Eigen-CAM", "Finer-Grad-CAM")  # all differ at bn2
ALL_NEW = "old => { const s = [...document.querySelectorAll('#gallery img')]; return s.length >= 6 && s.every(i => !old.includes(i.src) && i.complete && i.naturalWidth > 0); }"  # noqa: E501
SCORED = "() => !document.body.innerText.includes('scoring faithfulness') && document.querySelector('#faithfulness_table').innerText.includes('Layer-CAM')"  # noqa: E501
FINER_CHANGED = "old => { const i = document.querySelectorAll('#gallery img')[1]; return i && i.src !== old && i.complete && i.naturalWidth > 0; }"  # noqa: E501


def main(repeats: int = 5) -> None:
    for url in launched_app():
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.goto(url)
            page.locator("#image_input input[type=file]").set_input_files(str(ROOT / "assets" / "chelsea.png"))
            page.locator("#top5").get_by_text("tiger cat").first.wait_for(timeout=60_000)
            methods = page.locator("#methods")
            for box in methods.get_by_role("checkbox").all():
                box.set_checked(False)
            for name in SIX:
                methods.get_by_label(name, exact=True).set_checked(True)
            clicks, slides = [], []
            for repeat in range(repeats):
                shown = page.locator("#gallery img").evaluate_all("images => images.map(image => image.src)")
                started = time.perf_counter()
                page.locator("#run").click()
                page.wait_for_function(ALL_NEW, arg=shown, timeout=60_000)
                clicks.append(time.perf_counter() - started)
                old = page.locator("#gallery img").nth(1).get_attribute("src")
                started = time.perf_counter()
                gamma = 0.8 + 0.2 * (repeat % 6)  # 0.8 … 1.8: always a move, always within the slider's 0–2
                page.locator("#finer_gamma input[type=range]").fill(f"{gamma:.2f}")
                page.wait_for_function(FINER_CHANGED, arg=old, timeout=60_000)
                slides.append(time.perf_counter() - started)
            page.locator("#score").click()  # not timed: fills the Faithfulness panel for the screenshot
            page.wait_for_function(SCORED, timeout=120_000)
            page.screenshot(path=str(ROOT / "docs" / "screenshot.png"), full_page=True)
            browser.close()
        for name, seconds in (("click → 6 maps rendered", clicks), ("slider → Finer map updated", slides)):
            print(f"{name}: median {statistics.median(seconds) * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms")


if __name__ == "__main__":
    main(*[int(argument) for argument in sys.argv[1:2]])
