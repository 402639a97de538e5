"""The admission count of studio.fair_use.admit, on a fake queue and clock: a granted job counts as queued from
its grant until it shows up in Gradio's pending set, however long that takes (up to GRANT_WINDOW_S)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from studio import fair_use
from studio.limits import MAX_JOBS_PER_SESSION


@pytest.fixture
def world(monkeypatch):
    """A fake pending set and clock for one session, and a validator that answers True (granted) or False."""
    state = SimpleNamespace(queued=set(), now=100.0)
    monkeypatch.setattr(fair_use, "pending_jobs", lambda session_hash: set(state.queued))
    monkeypatch.setattr(fair_use, "time", SimpleNamespace(monotonic=lambda: state.now))
    monkeypatch.setattr(fair_use, "_granted", {})
    validator = fair_use.admit(lambda image, request: None)
    request = SimpleNamespace(session_hash="fake-session")

    def join() -> bool:
        try:
            validator(None, request=request)
        except fair_use.QueueShareUsed:
            return False
        return True

    state.join = join
    return state


def test_a_grant_counts_until_its_job_shows_up_in_the_queue(world):
    assert MAX_JOBS_PER_SESSION == 2
    assert world.join()
    world.now += 0.2
    world.queued = {"first"}
    assert world.join()  # one job queued: a second place
    world.now += 0.2  # the second job has not reached the queue yet, 0.2 s later (a busy event loop)
    assert not world.join()
    world.queued = {"first", "second"}
    assert not world.join()
    world.queued = {"second"}  # the first finished
    assert world.join()
    world.now += 0.05
    assert not world.join()  # the third has not arrived yet: still two


def test_a_grant_whose_job_never_shows_up_stops_counting_after_the_window(world):
    assert world.join() and world.join()
    assert not world.join()
    world.now += fair_use.GRANT_WINDOW_S + 0.01  # both jobs came and went between two joins
    assert world.join()
