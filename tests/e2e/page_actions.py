"""What the browser tests do on the page: open it at a size, upload, choose methods, Explain, read the grid."""

from __future__ import annotations

TIMEOUT_MS = 60_000
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}


def open_page(browser, url: str, viewport: dict):
    """A fresh tab (a fresh session) at ``viewport``, loaded and ready."""
    page = browser.new_context(viewport=viewport).new_page()
    page.goto(url, wait_until="load")
    page.wait_for_selector("#run", timeout=TIMEOUT_MS)
    return page


def upload(page, path: str) -> None:
    page.locator("#image_input input[type=file]").set_input_files(path)


def upload_and_wait(page, path: str, top1: str = "tiger cat") -> None:
    upload(page, path)
    page.locator("#top5").get_by_text(top1).first.wait_for(timeout=TIMEOUT_MS)


def choose_methods(page, names) -> None:
    """Tick the base methods in ``names``; the Finer-CAM toggle is on when any name is a Finer variant (it adds
    the variant of every ticked base that has one)."""
    methods = page.locator("#methods")
    for box in methods.get_by_role("checkbox").all():
        box.set_checked(False)
    for name in names:
        if not name.startswith("Finer-"):
            methods.get_by_label(name, exact=True).set_checked(True)
    page.locator("#finer_toggle input").set_checked(any(name.startswith("Finer-") for name in names))


def gallery_sources(page) -> list[str]:
    return page.locator("#gallery img").evaluate_all("images => images.map(image => image.src)")


def captions(page) -> list[str]:
    return page.locator("#gallery .caption-label").all_inner_texts()


def explain_and_wait(page, count: int) -> list[str]:
    """Press Explain and wait until ``count`` new maps are loaded; their sources."""
    old = gallery_sources(page)
    page.locator("#run").click()
    page.wait_for_function(
        """([old, count]) => { const s = [...document.querySelectorAll('#gallery img')];
           return s.length === count && s.every(i => !old.includes(i.src) && i.complete && i.naturalWidth > 0); }""",
        arg=[old, count],
        timeout=TIMEOUT_MS,
    )
    return gallery_sources(page)
