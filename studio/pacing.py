"""An ASGI middleware that paces each session's display requests, before Gradio parses them.

The display events (the Finer slider, colormap, compare) skip the queue so that a drag feels live, and each
request costs Gradio's own handling ~17 ms of CPU however little our handler does. Unpaced, one session
posting 300 γ values at once took most of a core and made other visitors' Explain 2–3× slower (measured by
``benchmarks/soak.py``). Here every ``POST …/run/<event>`` of a session starts at least
:data:`~studio.limits.DISPLAY_INTERVAL_S` after the previous one: the wait is an ``asyncio.sleep`` (no CPU),
and a request whose turn is more than :data:`~studio.limits.DISPLAY_MAX_WAIT_S` away is refused with 429.
A browser drag sends its next move only after the last answer (``trigger_mode="always_last"``), so it is
never refused. Sessions are told apart by the ``session_hash`` in the JSON body.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

from .limits import DISPLAY_INTERVAL_S, DISPLAY_MAX_WAIT_S
from .request_limit import ASGIApp, Scope, refuse

MAX_TRACKED_SESSIONS = 10_000  # turn times kept; past this, the ones already in the past are forgotten


class DisplayPacing:
    """Wraps an ASGI app; only POSTs to ``…/run/…`` (the events that skip the queue) are paced."""

    def __init__(self, app: ASGIApp, interval: float = DISPLAY_INTERVAL_S, max_wait: float = DISPLAY_MAX_WAIT_S):
        self.app, self.interval, self.max_wait = app, interval, max_wait
        self.next_turn: dict[str, float] = {}

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or "/run/" not in scope["path"]:
            return await self.app(scope, receive, send)
        body = await read_body(receive)
        wait = self.reserve(session_of(body), time.monotonic())
        if wait > self.max_wait:
            return await refuse(send, 429, "Too many display requests from this session; please slow down.")
        if wait > 0:
            await asyncio.sleep(wait)
        return await self.app(scope, replay(body, receive), send)

    def reserve(self, session: str, now: float) -> float:
        """Book ``session``'s next turn; return the seconds to wait for it (a refused request books nothing)."""
        if len(self.next_turn) > MAX_TRACKED_SESSIONS:
            self.next_turn = {key: turn for key, turn in self.next_turn.items() if turn > now}
        turn = max(now, self.next_turn.get(session, now))
        if turn - now <= self.max_wait:
            self.next_turn[session] = turn + self.interval
        return turn - now


async def read_body(receive: Callable) -> bytes:
    """The whole request body (already capped in size by :class:`~studio.request_limit.RequestSizeLimit`)."""
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def session_of(body: bytes) -> str:
    """The body's ``session_hash`` ("" when there is none: those requests share one pace)."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return ""
    return str(parsed.get("session_hash", "")) if isinstance(parsed, dict) else ""


def replay(body: bytes, receive: Callable) -> Callable:
    """A ``receive`` that hands the app the body already read, then the connection's own messages (a
    disconnect)."""
    sent = False

    async def receive_again() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return receive_again
