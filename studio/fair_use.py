"""Fair use of the one model worker: at most ``MAX_JOBS_PER_SESSION`` model calls per visitor in the queue,
and work that stops when its client goes away.

Both read Gradio's queue (pinned to gradio 6.31; tests/test_fair_use.py fails if that changes):

- :func:`admitted` gives a model-calling event its handler and its ``validator``. Gradio runs the validator
  before it queues the job, so a visitor with two jobs already queued or running gets one sentence instead of
  a third place. Validators of simultaneous joins run concurrently, and a granted job reaches Gradio's
  pending set only some time after its validator returns (longer on a busy machine), so grants are counted
  under a lock and a grant counts as a queued job until its job is seen: in the pending set at a later
  join, or starting (the handler notes its event id as it starts, so a quick job that came and went between
  two joins is seen too);
- :func:`client_gone` is True once the job's client closed the page or its connection (Gradio then marks
  the job not alive) or cancelled the job (Gradio then stops counting it as pending for the session). The
  slow methods check it, with the Stop flag, between batches and optimisation steps.
"""

from __future__ import annotations

import functools
import inspect
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gradio as gr
from gradio.context import LocalContext

from .limits import MAX_JOBS_PER_SESSION

GRANT_EXPIRY_S = 5.0  # a grant whose job was never seen (cancelled before it started or queued) stops counting
GRANT_MEMORY = 10_000  # sessions whose grants are remembered
INJECTED = ("request", "progress", "event")  # parameters Gradio fills itself, not input components
BUSY = (
    f"You already have {MAX_JOBS_PER_SESSION} jobs waiting or running; please wait for them to finish "
    "(or press Stop) before asking for another."
)


class QueueShareUsed(Exception):
    """Raised by the validator of :func:`admitted`: Gradio refuses the join (HTTP 400) with this sentence."""


@dataclass
class Share:
    """One visitor's grants not yet matched to a job, and the jobs already matched."""

    waiting: list[float] = field(default_factory=list)  # when each unmatched grant was given, oldest first
    seen: set[str] = field(default_factory=set)  # event ids of admitted jobs already matched to a grant

    def match(self, event_ids: set[str]) -> None:
        """Match the oldest grants to the jobs in ``event_ids`` that no earlier call has matched."""
        arrived = event_ids - self.seen
        del self.waiting[: len(arrived)]
        self.seen |= arrived


_granting = threading.Lock()
_shares: dict[str | None, Share] = {}


def share_of(session_hash: str | None) -> Share:
    """The visitor's share, created on first use (the oldest is forgotten past ``GRANT_MEMORY`` visitors)."""
    if session_hash not in _shares:
        _shares[session_hash] = Share()
        if len(_shares) > GRANT_MEMORY:
            _shares.pop(next(iter(_shares)))
    return _shares[session_hash]


def pending_jobs(session_hash: str | None) -> set[str]:
    """The event ids of this session's admitted jobs that Gradio's queue holds (waiting or running)."""
    blocks = LocalContext.blocks.get(None)
    queue = getattr(blocks, "_queue", None)
    if queue is None or session_hash is None:
        return set()
    events = (
        queue.event_ids_to_events.get(event_id) for event_id in queue.pending_event_ids_session.get(session_hash, ())
    )
    return {event._id for event in events if event is not None and event.fn.validator is not None}


def admitted(handler: Callable[..., Any]) -> dict[str, Callable[..., Any]]:
    """``fn`` and ``validator`` for an event whose jobs count toward the visitor's queue share."""
    if inspect.isgeneratorfunction(handler) or inspect.iscoroutinefunction(handler):
        raise TypeError(f"{handler.__name__}: only plain functions can note their start")
    return {"fn": noting_start(handler), "validator": refusing_over_share(handler)}


def refusing_over_share(handler: Callable[..., Any]) -> Callable[..., Any]:
    """A validator with ``handler``'s signature that refuses the job when the visitor has enough queued.

    queued = admitted jobs in Gradio's pending set + grants whose job has not been seen yet.
    Gradio expects one answer per input component; every input is valid, so each gets ``None``."""
    inputs = [name for name in inspect.signature(handler).parameters if name not in INJECTED]

    @functools.wraps(handler)
    def validator(*args: Any, **kwargs: Any) -> list[None]:
        request = kwargs.get("request") or next((a for a in args if isinstance(a, gr.Request)), None)
        session_hash = getattr(request, "session_hash", None)
        with _granting:
            now, share, queued = time.monotonic(), share_of(session_hash), pending_jobs(session_hash)
            share.match(queued)
            share.seen &= queued  # a job gone from the queue is done: it never comes back
            share.waiting = [when for when in share.waiting if now - when < GRANT_EXPIRY_S]
            if len(queued) + len(share.waiting) >= MAX_JOBS_PER_SESSION:
                raise QueueShareUsed(BUSY)
            share.waiting.append(now)
        return [None] * len(inputs)

    return validator


def noting_start(handler: Callable[..., Any]) -> Callable[..., Any]:
    """``handler``, which first matches its job to its visitor's oldest unmatched grant (if no join has yet)."""

    @functools.wraps(handler)
    def started(*args: Any, **kwargs: Any) -> Any:
        event = running_event()
        if event is not None:
            with _granting:
                share_of(event.session_hash).match({event._id})
        return handler(*args, **kwargs)

    return started


def running_event() -> Any:
    """The Gradio queue event this thread is running, or None outside Gradio's queue (a direct call, a test)."""
    blocks = LocalContext.blocks.get(None)
    queue = getattr(blocks, "_queue", None)
    return None if queue is None else queue.event_ids_to_events.get(LocalContext.event_id.get(None))


def client_gone() -> Callable[[], bool]:
    """A check for the running event: True once its client disconnected or cancelled it."""
    event = running_event()
    if event is None:
        return lambda: False
    queue = LocalContext.blocks.get(None)._queue

    def gone() -> bool:
        return not event.alive or event._id not in queue.pending_event_ids_session.get(event.session_hash, ())

    return gone
