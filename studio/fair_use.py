"""Fair use of the one model worker: at most ``MAX_JOBS_PER_SESSION`` model calls per visitor in the queue,
and work that stops when its client goes away.

Both read Gradio's queue (pinned to gradio 6.31; tests/test_fair_use.py fails if that changes):

- :func:`admit` is the ``validator`` of every model-calling event. Gradio runs it before it queues the
  job, so a visitor with two jobs already queued or running gets one sentence instead of a third place.
  Validators of simultaneous joins run concurrently and a granted job shows up in Gradio's pending set
  only after its validator returns, so grants are counted under a lock and a grant of the last 0.1 s counts
  as pending too (a job may be counted twice for that moment: two quick joins are fine, a burst is not);
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
from typing import Any

import gradio as gr
from gradio.context import LocalContext

from .limits import MAX_JOBS_PER_SESSION

GRANT_WINDOW_S = 0.1  # a granted job joins Gradio's pending set within this time (it is the next statement)
GRANT_MEMORY = 10_000  # sessions whose last grant is remembered
INJECTED = ("request", "progress", "event")  # parameters Gradio fills itself, not input components
BUSY = (
    f"You already have {MAX_JOBS_PER_SESSION} jobs waiting or running; please wait for them to finish "
    "(or press Stop) before asking for another."
)


class QueueShareUsed(Exception):
    """Raised by :func:`admit`: Gradio refuses the join (HTTP 400) with this sentence as its detail."""


_granting = threading.Lock()
_granted: dict[str | None, list[float]] = {}  # session → when its jobs were granted, within the last window


def pending_jobs(session_hash: str | None) -> int:
    """How many of this session's jobs Gradio's queue holds (waiting or running, not yet delivered)."""
    blocks = LocalContext.blocks.get(None)
    queue = getattr(blocks, "_queue", None)
    if queue is None or session_hash is None:
        return 0
    return len(queue.pending_event_ids_session.get(session_hash, ()))


def admit(handler: Callable[..., Any]) -> Callable[..., Any]:
    """A validator with ``handler``'s signature that refuses the job when the visitor has enough queued.

    Gradio expects one answer per input component; every input is valid, so each gets ``None``."""
    inputs = [name for name in inspect.signature(handler).parameters if name not in INJECTED]

    @functools.wraps(handler)
    def validator(*args: Any, **kwargs: Any) -> list[None]:
        request = kwargs.get("request") or next((a for a in args if isinstance(a, gr.Request)), None)
        session_hash = getattr(request, "session_hash", None)
        with _granting:
            now = time.monotonic()
            recent = [when for when in _granted.pop(session_hash, ()) if now - when < GRANT_WINDOW_S]
            count = pending_jobs(session_hash) + len(recent)
            if count >= MAX_JOBS_PER_SESSION:
                raise QueueShareUsed(BUSY)
            _granted[session_hash] = [*recent, now]
            if len(_granted) > GRANT_MEMORY:
                _granted.pop(next(iter(_granted)))
        return [None] * len(inputs)

    return validator


def client_gone() -> Callable[[], bool]:
    """A check for the running event: True once its client disconnected or cancelled it."""
    blocks = LocalContext.blocks.get(None)
    event_id = LocalContext.event_id.get(None)
    queue = getattr(blocks, "_queue", None)
    event = None if queue is None else queue.event_ids_to_events.get(event_id)
    if event is None:
        return lambda: False  # not run by Gradio's queue (a direct call, a test)

    def gone() -> bool:
        return not event.alive or event_id not in queue.pending_event_ids_session.get(event.session_hash, ())

    return gone
