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
    """Tick exactly the methods in ``names``: a base in the methods group, a "Finer-X" as X's toggle in the
    "+ Finer-CAM of" group (which adds that variant only)."""
    groups = {"bases": page.locator("#methods"), "finer": page.locator("#finer_of")}
    for group in groups.values():
        for box in group.get_by_role("checkbox").all():
            box.set_checked(False)
    for name in names:
        group, label = ("finer", name.removeprefix("Finer-")) if name.startswith("Finer-") else ("bases", name)
        groups[group].get_by_label(label, exact=True).set_checked(True)


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
