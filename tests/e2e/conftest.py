"""Headless Debian Chromium (never ``playwright install``) driving the app launched in-process.

The tests skip when /usr/bin/chromium is missing, unless CAMSTUDIO_REQUIRE_BROWSER=1 (CI), where they fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from app_fixtures import launched_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install -y chromium chromium-driver)"
        if os.environ.get("CAMSTUDIO_REQUIRE_BROWSER") == "1":
            pytest.fail(message + " and CAMSTUDIO_REQUIRE_BROWSER=1")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def app_url(clip_backbone):
    yield from launched_app()


@pytest.fixture(scope="session")
def clip_backbone():
    """The random-weight CLIP entry that only tests register, added before the app is built."""
    from random_backbones import tiny_clip_spec

    from model_zoo import register_backbone

    return register_backbone(tiny_clip_spec()).name


@pytest.fixture()
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(app_url)
    page.wait_for_selector("#run")
    yield page
    context.close()
