"""The real app in headless Chromium: upload, four methods, Finer slider, CLIP prompt, corrupt upload."""

from __future__ import annotations

import json

from app_fixtures import bad_uploads
from page_actions import TIMEOUT_MS, choose_methods, explain_and_wait, gallery_sources, upload
from playwright.sync_api import expect

FOUR = ("Grad-CAM", "Finer-Grad-CAM", "Layer-CAM", "Finer-Layer-CAM")  # four different maps at the default layer


def test_four_methods_the_finer_slider_and_the_faithfulness_panel(page, chelsea_path):
    upload(page, chelsea_path)
    page.locator("#top5").get_by_text("tiger cat").first.wait_for(timeout=TIMEOUT_MS)
    choose_methods(page, FOUR)
    page.locator("#run").click()
    page.wait_for_function("document.querySelectorAll('#gallery img').length >= 4", timeout=TIMEOUT_MS)
    before = gallery_sources(page)
    assert len(before) == 4
    page.locator("#finer_gamma input[type=range]").fill("1.6")
    page.wait_for_function(
        "src => document.querySelectorAll('#gallery img')[1]?.src !== src", arg=before[1], timeout=TIMEOUT_MS
    )
    after = gallery_sources(page)
    assert [b == a for b, a in zip(before, after, strict=True)] == [True, False, True, False]  # Finer after its base
    assert not page.locator("#faithfulness").is_visible()  # empty until scored
    page.locator("#score").click()
    table = page.locator("#faithfulness_table")
    scoring_ms = 3 * TIMEOUT_MS  # 4 maps + 2 baselines, ~300 passes: 25–60 s on a shared 2-core machine
    expect(table).to_contain_text("Finer-Grad-CAM (γ = 1.60)", timeout=scoring_ms)
    for name in FOUR:
        expect(table).to_contain_text(name)
    page.locator("#faithfulness_curves img, #faithfulness_curves svg").first.wait_for(timeout=TIMEOUT_MS)


COMPARED = "src => [...document.querySelectorAll('#compare_slider img')].some(image => image.src === src)"


def moved_finer_map(page, gamma: str) -> str:
    """Move the Finer slider; the source of the gallery's Finer map (the second tile) once it changed."""
    old = gallery_sources(page)[1]
    page.locator("#finer_gamma input[type=range]").fill(gamma)
    page.wait_for_function("src => document.querySelectorAll('#gallery img')[1]?.src !== src", arg=old)
    return gallery_sources(page)[1]


def test_the_compare_slider_shows_the_current_finer_map_once_opened_and_follows_it_while_open(page, chelsea_path):
    upload(page, chelsea_path)
    page.locator("#top5").get_by_text("tiger cat").first.wait_for(timeout=TIMEOUT_MS)
    choose_methods(page, ("Grad-CAM", "Finer-Grad-CAM"))
    explain_and_wait(page, 2)
    described = []  # pairs the page asks the server to describe (compare_panel.on_pair's inputs)
    page.on(
        "request",
        lambda request: (
            described.append(json.loads(request.post_data)["data"]) if "/queue/join" in request.url else None
        ),
    )
    finer = moved_finer_map(page, "1.40")  # the panel is closed: the move does not draw the compare pair
    page.wait_for_timeout(1500)  # time enough for the description the move's empty slider would ask for
    assert ["gradcam", "finer-gradcam"] not in described  # nor describe it (compare_panel.PAIR_JS sends nulls)
    page.locator("#compare_box").get_by_text("Compare two maps").first.click()
    page.wait_for_function(COMPARED, arg=finer, timeout=TIMEOUT_MS)
    expect(page.locator("#compare_left_name")).to_contain_text("Grad-CAM", timeout=TIMEOUT_MS)
    finer = moved_finer_map(page, "0.40")
    page.wait_for_function(COMPARED, arg=finer, timeout=TIMEOUT_MS)


def test_clip_prompts_give_one_row_per_prompt_and_finer_uses_the_comparison_prompt(page, chelsea_path, clip_backbone):
    upload(page, chelsea_path)
    page.locator("#top5").get_by_text("tiger cat").first.wait_for(timeout=TIMEOUT_MS)
    page.locator("#backbone input").click()
    page.get_by_role("option", name="Random-weight CLIP").first.click()
    prompts = page.locator("#prompts textarea")
    prompts.wait_for(timeout=TIMEOUT_MS)
    prompts.fill("a photo of a cat; a photo of a dog")
    page.locator("#compare_prompts textarea").fill("a photo of a bird")
    choose_methods(page, ("Grad-CAM", "Finer-Grad-CAM"))
    page.locator("#run").click()
    page.wait_for_function("document.querySelectorAll('#gallery img').length >= 4", timeout=TIMEOUT_MS)
    assert len(gallery_sources(page)) == 4
    summary = page.locator("#summary")
    summary.get_by_text("a photo of a bird").first.wait_for(timeout=TIMEOUT_MS)
    assert "“a photo of a dog”" in summary.inner_text()
    assert "Traceback" not in page.content()


def test_stop_says_stopped_keeps_the_finished_maps_and_the_app_keeps_working(page, chelsea_path):
    """The UI side of Stop (the server side, the computation really stopping, is in test_handlers.py)."""
    upload(page, chelsea_path)
    page.locator("#top5").get_by_text("tiger cat").first.wait_for(timeout=TIMEOUT_MS)
    choose_methods(page, ("FGVis · slow", "Grad-CAM"))
    page.locator("#run").click()
    page.locator("#status").get_by_text("FGVis: step").first.wait_for(timeout=TIMEOUT_MS)  # the one progress line
    page.locator("#stop").click()
    page.locator("#summary").get_by_text("Stopped — 1 of 2 maps done").wait_for(timeout=TIMEOUT_MS)
    assert len(gallery_sources(page)) == 1
    assert page.locator("#gallery .caption-label").first.inner_text().startswith("Grad-CAM")
    choose_methods(page, ("Grad-CAM",))
    page.locator("#run").click()
    page.wait_for_function("!document.querySelector('#summary').innerText.includes('Stopped')", timeout=TIMEOUT_MS)
    assert "Something went wrong" not in page.content()


def test_corrupt_upload_shows_a_clean_message(page, tmp_path):
    upload(page, str(bad_uploads(tmp_path)["corrupt"]))
    toast = page.get_by_text("corrupt", exact=False).or_(page.get_by_text("not an image", exact=False)).first
    toast.wait_for(timeout=TIMEOUT_MS)
    assert "Traceback" not in page.content()
