"""How the page's events are wired, read from the app's Gradio config (no browser): the 1,000-class target
dropdown is never an input or a progress target of a server event, since Gradio's page then snapshots its
choices on every later event (~30 ms of each Finer slider move); the events read its hidden copy."""

from __future__ import annotations

import pytest

import app


@pytest.fixture(scope="module")
def config() -> dict:
    return app.build().get_config_file()


def component_id(config: dict, elem_id: str) -> int:
    (found,) = [c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == elem_id]
    return found


def server_events(config: dict) -> list[dict]:
    return [dependency for dependency in config["dependencies"] if dependency["backend_fn"]]


def test_no_server_event_reads_or_shows_progress_on_the_target_dropdown(config):
    target = component_id(config, "target")
    assert len(next(c for c in config["components"] if c["id"] == target)["props"]["choices"]) > 1000
    for event in server_events(config):
        progress_targets = event.get("show_progress_on") or event["outputs"]
        assert target not in event["inputs"] and target not in progress_targets, event.get("api_name")


def test_the_model_events_read_the_targets_copy_which_the_dropdown_keeps_in_the_browser(config):
    target, copy = component_id(config, "target"), component_id(config, "target_id")
    for api_name in ("explain", "layers", "sanity_check"):
        (event,) = [event for event in server_events(config) if event["api_name"] == api_name]
        assert copy in event["inputs"], api_name
    copies = [
        event
        for event in config["dependencies"]
        if not event["backend_fn"] and event["inputs"] == [target] and event["outputs"] == [copy]
    ]
    assert copies and all(event["js"] == "(value) => value" for event in copies)
