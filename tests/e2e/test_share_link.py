"""A share link reproduces the view (backbone, methods, target, layer, γ and the maps), and a hostile one is
ignored with sentences, never a traceback."""

from __future__ import annotations

from app_fixtures import bad_uploads
from page_actions import DESKTOP, PHONE, TIMEOUT_MS, captions, choose_methods, explain_and_wait, open_page, upload

LINK_VALUE = "document.querySelector('#share_url textarea, #share_url input')?.value || ''"
GAMMA = "#finer_gamma input[type=number]"


def test_a_share_link_reproduces_the_view(browser, app_url):
    page = open_page(browser, app_url, DESKTOP)
    page.locator("#examples img").first.click()  # chelsea
    page.locator("#top5").get_by_text("tiger cat").first.wait_for(timeout=TIMEOUT_MS)
    choose_methods(page, ("Grad-CAM", "Layer-CAM", "Finer-Grad-CAM"))
    page.get_by_text("Advanced").click()
    page.locator("#layer input").click()
    page.get_by_role("option", name="blocks.5", exact=True).click()
    page.locator(GAMMA).fill("1.25")
    page.locator(GAMMA).press("Enter")
    explain_and_wait(page, 3)  # Finer for Grad-CAM only
    page.locator("#top5").get_by_text("tiger cat").first.click()  # not the top-1: the target, and a quick re-run
    page.locator("#summary").get_by_text("tiger cat", exact=False).first.wait_for(timeout=TIMEOUT_MS)
    page.locator("#share").click()
    page.wait_for_function(f"({LINK_VALUE}).startsWith('http')", timeout=TIMEOUT_MS)
    link = page.evaluate(LINK_VALUE)
    assert "example=chelsea" in link and "layer=blocks.5" in link and "gamma=1.25" in link
    shown = captions(page)

    opened = open_page(browser, link, DESKTOP)
    opened.wait_for_function("document.querySelectorAll('#gallery img').length === 3", timeout=TIMEOUT_MS)
    opened.locator("#summary").get_by_text("blocks.5").wait_for(timeout=TIMEOUT_MS)
    summary = opened.locator("#summary").inner_text()
    assert "Target: tiger cat" in summary and "γ = 1.25" in summary
    assert [text.split(" · ")[0] for text in captions(opened)] == [text.split(" · ")[0] for text in shown]
    assert "EfficientNet-Lite0" in opened.locator("#backbone input").input_value()
    assert "tiger cat" in opened.locator("#target input").input_value()
    assert opened.locator(GAMMA).input_value() == "1.25"
    opened.get_by_text("Advanced").click()
    assert opened.locator("#layer input").input_value() == "blocks.5"
    ticked = opened.locator("#methods input:checked").evaluate_all("bs => bs.map(b => b.closest('label').innerText)")
    finer = opened.locator("#finer_of input:checked").evaluate_all("bs => bs.map(b => b.closest('label').innerText)")
    assert sorted(ticked) == ["Grad-CAM", "Layer-CAM"] and finer == ["Grad-CAM"]
    opened.wait_for_timeout(1500)  # the image's change event (the link's echo) must not clear the maps
    assert len(captions(opened)) == 3
    for tab in (page, opened):
        tab.context.close()


def test_a_link_without_an_example_keeps_its_backbone_s_layer_and_prompts(browser, app_url, clip_backbone):
    layer = "visual.transformer.resblocks.0.ln_1"  # not the tiny CLIP's default layer
    query = f"?backbone={clip_backbone}&layer={layer}&methods=gradcam,finer-layercam&prompts=a%20cat;a%20dog"
    page = open_page(browser, app_url + query, PHONE)
    prompts = page.locator("#prompts textarea, #prompts input").first
    prompts.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(
        "() => document.querySelector('#prompts textarea, #prompts input')?.value === 'a cat; a dog'",
        timeout=TIMEOUT_MS,
    )
    page.wait_for_timeout(2000)  # the backbone's change event (the link's echo) must not reset what the link set
    assert (
        prompts.input_value() == "a cat; a dog"
        and "Tiny random-weight CLIP" in page.locator("#backbone input").input_value()
    )
    assert page.locator("#finer_of input:checked").evaluate_all("bs => bs.map(b => b.closest('label').innerText)") == [
        "Layer-CAM"
    ]  # a Finer variant without its base: its toggle alone
    page.get_by_text("Advanced").click()
    assert page.locator("#layer input").input_value() == layer
    page.context.close()


def test_a_hostile_link_is_ignored_with_sentences(browser, app_url):
    query = (
        "?example=%3Cimg%20src=x%20onerror=alert(1)%3E&backbone=..%2F..&methods=gradcam,rm&gamma=nan&layer=x&target=-1"
        "&prompts=%5Bclick%5D(javascript:alert(1))"
    )
    page = open_page(browser, app_url + query, DESKTOP)
    toast = page.locator(".toast-body")
    toast.get_by_text("γ is not a number").wait_for(timeout=TIMEOUT_MS)
    toast.get_by_text("prompts are ignored").wait_for(timeout=TIMEOUT_MS)  # the last of the sentences
    text = " ".join(toast.all_inner_texts())
    assert "not one of the bundled images" in text and "backbone is not one" in text and "Traceback" not in text
    assert "prompts are ignored" in text and "javascript" not in text
    assert page.locator("img[src=x]").count() == 0
    page.context.close()


def test_an_uploaded_image_cannot_travel_in_the_link_and_the_page_says_so(browser, app_url, tmp_path):
    page = open_page(browser, app_url, DESKTOP)
    upload(page, str(bad_uploads(tmp_path)["rgba"]))  # a valid picture that is not an example
    page.locator("#preview img").wait_for(timeout=TIMEOUT_MS)
    page.locator("#share").click()
    page.locator(".toast-body").get_by_text("cannot travel in a link").wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(f"({LINK_VALUE}).startsWith('http')", timeout=TIMEOUT_MS)
    assert "example=" not in page.evaluate(LINK_VALUE)
    page.context.close()
