"""The admission count of studio.fair_use on a fake Gradio queue and clock: a granted job counts as queued from its
grant until it is seen (in the pending set at a later join, or starting), however long its join takes."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from studio import fair_use
from studio.limits import MAX_JOBS_PER_SESSION

SESSION = "fake-session"


@pytest.fixture
def world(monkeypatch):
    """A fake pending set, clock and running event for one session; ``join()`` answers granted (True) or not."""
    state = SimpleNamespace(queued=set(), now=100.0, running=None)
    monkeypatch.setattr(fair_use, "pending_jobs", lambda session_hash: set(state.queued))
    monkeypatch.setattr(fair_use, "time", SimpleNamespace(monotonic=lambda: state.now))
    monkeypatch.setattr(fair_use, "_shares", {})
    monkeypatch.setattr(fair_use, "running_event", lambda: state.running)
    events = fair_use.admitted(lambda image, request: "ran")
    request = SimpleNamespace(session_hash=SESSION)

    def join() -> bool:
        try:
            events["validator"](None, request=request)
        except fair_use.QueueShareUsed:
            return False
        return True

    def run(event_id: str) -> None:
        """The job ``event_id`` starts (its handler runs) and ends, between two joins."""
        state.running = SimpleNamespace(_id=event_id, session_hash=SESSION)
        assert events["fn"](None, request=request) == "ran"
        state.running = None

    state.join, state.run = join, run
    return state


def test_a_grant_counts_until_its_job_shows_up_in_the_queue_however_long_that_takes(world):
    assert MAX_JOBS_PER_SESSION == 2
    assert world.join()
    world.now += 0.5
    world.queued = {"first"}
    assert world.join()  # one job queued: a second place
    world.now += 3.0  # the second job has not reached the queue yet, seconds later (a busy event loop)
    assert not world.join()
    world.queued = {"first", "second"}
    assert not world.join()
    world.queued = {"second"}  # the first finished
    assert world.join()
    world.now += 1.0
    assert not world.join()  # the third has not arrived yet: still two


def test_quick_jobs_that_came_and_went_between_joins_stop_counting(world):
    for number in range(5):  # sequential API calls, each done before the next join: never seen queued
        assert world.join(), number
        world.run(f"job-{number}")


def test_a_job_seen_queued_and_then_starting_is_matched_once(world):
    assert world.join()
    world.queued = {"first"}
    assert world.join()  # matches the first grant; the second is waiting
    world.run("first")  # already matched: the second grant keeps counting
    assert not world.join()


def test_a_grant_whose_job_never_shows_up_stops_counting_after_its_expiry(world):
    assert world.join() and world.join()
    assert not world.join()
    world.now += fair_use.GRANT_EXPIRY_S + 0.01  # both jobs were cancelled before they started
    assert world.join()


def test_only_plain_handlers_can_be_admitted():
    def slides():
        yield 1

    with pytest.raises(TypeError, match="plain functions"):
        fair_use.admitted(slides)
