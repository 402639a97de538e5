"""One click on Download saves the run's bundle: no second click on a file box."""

from __future__ import annotations

import zipfile

from page_actions import DESKTOP, TIMEOUT_MS, choose_methods, explain_and_wait, open_page, upload_and_wait


def test_one_click_on_download_saves_the_bundle(browser, app_url, chelsea_path, tmp_path):
    page = open_page(browser, app_url, DESKTOP)
    upload_and_wait(page, chelsea_path)
    choose_methods(page, ["Grad-CAM"])
    explain_and_wait(page, 1)
    with page.expect_download(timeout=TIMEOUT_MS) as download:
        page.locator("#download").click()
    saved = tmp_path / "bundle.zip"
    download.value.save_as(saved)
    assert download.value.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(saved) as archive:
        assert {"gradcam.png", "input.png", "grid.png", "grid.pdf", "manifest.json"} <= set(archive.namelist())
    assert not page.locator("#download_file").is_visible()  # nothing left to click
    page.context.close()
