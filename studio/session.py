"""Per-visitor state, keyed by Gradio's session hash (one per browser tab or API client), and the store
that bounds it.

A :class:`Session` holds the validated image, the latest Explanation and its files. Every event on a
session takes its ``lock``. Explain runs are numbered: ``started`` counts the runs begun and ``shown``
is the run whose results the session holds; a run's results are installed only while it is the latest
begun, and a display result computed from run k is dropped once run k + 1 has begun.

The :class:`SessionStore` keeps at most ``MAX_SESSIONS_WITH_RESULTS`` sessions with results and their
files under ``DISK_BUDGET_BYTES`` (least recently used first out), and drops results idle for
``RESULTS_IDLE_SECONDS``. A dropped session keeps its record and says why its maps are gone.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from PIL import Image

from cam_methods import Explanation
from model_zoo import DEFAULT_BACKBONE

from .files import SessionFiles
from .limits import DISK_BUDGET_BYTES, MAX_SESSIONS, MAX_SESSIONS_WITH_RESULTS, RESULTS_IDLE_SECONDS

IMAGE_FILES = "image"  # file keys start with the run they belong to, or with this for the image's own files
DROPPED = "Your earlier results were dropped to make room for other visitors; press Explain to compute them again."


@dataclass(eq=False)
class Session:
    """What one tab or API client has computed; change it only while holding ``lock``."""

    name: str
    files: SessionFiles
    lock: threading.Lock = field(default_factory=threading.Lock)
    image: Image.Image | None = None
    image_source: str | None = None
    backbone: str = DEFAULT_BACKBONE
    explanation: Explanation | None = None
    stale: tuple[str, ...] = ()
    started: int = 0
    shown: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    last_used: float = field(default_factory=time.monotonic)
    note: str = ""
    echoes: dict[str, str] = field(default_factory=dict)

    def begin_run(self) -> tuple[int, threading.Event]:
        """Number a new Explain run and give it a fresh stop flag; the previous run is asked to stop."""
        with self.lock:
            self.stop.set()
            self.stop = threading.Event()
            self.started += 1
            return self.started, self.stop

    def install(self, run: int, explanation: Explanation, stale: tuple[str, ...] = ()) -> bool:
        """Make ``explanation`` the session's results if ``run`` is still the latest begun; else False.
        ``stale`` names the slow methods a quick re-run left out: the page marks them out of date."""
        with self.lock:
            if run != self.started:
                return False
            self.explanation, self.shown, self.note, self.stale = explanation, run, "", stale
            self.files.forget_all_but(lambda key: key[0] in (run, IMAGE_FILES))
            return True

    def has_results(self) -> bool:
        with self.lock:
            return self.explanation is not None

    def shows_backbone(self, name: str) -> bool:
        """Whether the session's results were computed with backbone ``name``."""
        with self.lock:
            return self.explanation is not None and self.explanation.backbone.name == name

    def expect_echo(self, control: str, value: str) -> None:
        """The server just put ``value`` in ``control`` ("image", "backbone") on the page (a share link): the
        control's change event is an echo, which must not reset what the link set."""
        with self.lock:
            self.echoes[control] = value

    def is_echo(self, control: str, value: str | None) -> bool:
        """Whether a change of ``control`` to ``value`` is the echo of :meth:`expect_echo` (true once)."""
        with self.lock:
            return value is not None and self.echoes.pop(control, None) == value

    def current(self, run: int) -> bool:
        """Whether results of ``run`` may still be shown (no later run has begun)."""
        return run == self.started

    def drop_results(self, note: str = "") -> None:
        """Forget the results and delete every file (a new image or backbone, or the store's bounds); a run
        still computing is asked to stop and will not be installed."""
        with self.lock:
            self.explanation, self.note, self.stale = None, note, ()
            self.stop.set()
            self.started += 1
            self.shown = self.started
            self.files.delete()


class SessionStore:
    """All sessions, least recently used first; bounds results in number, age and disk."""

    def __init__(self) -> None:
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session_hash: str | None) -> Session:
        """The session of this tab or client, created on first use; touching it makes it most recent."""
        key = session_hash or "anonymous"
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                session = self._sessions[key] = Session(key, SessionFiles(key))
            self._sessions.move_to_end(key)
            session.last_used = time.monotonic()
            evicted = [self._sessions.popitem(last=False)[1] for _ in range(len(self._sessions) - MAX_SESSIONS)]
        for oldest in evicted:
            oldest.drop_results()
        return session

    def discard(self, session_hash: str | None) -> None:
        """Forget a closed tab: its results, files and record."""
        with self._lock:
            session = self._sessions.pop(session_hash or "anonymous", None)
        if session is not None:
            session.drop_results()

    def settle(self) -> None:
        """Drop results, least recently used first, until every bound holds (call after an event adds any)."""
        idle_since = time.monotonic() - RESULTS_IDLE_SECONDS
        with self._lock:
            holding = [s for s in self._sessions.values() if s.explanation is not None or s.files.bytes]
            newest_first = holding[::-1]
        kept, disk = 0, 0
        for session in newest_first:
            kept += session.explanation is not None
            disk += session.files.bytes
            if kept > MAX_SESSIONS_WITH_RESULTS or disk > DISK_BUDGET_BYTES or session.last_used < idle_since:
                session.drop_results(DROPPED)

    def disk_bytes(self) -> int:
        with self._lock:
            return sum(session.files.bytes for session in self._sessions.values())

    def holding_results(self) -> int:
        with self._lock:
            return sum(session.explanation is not None for session in self._sessions.values())


STORE = SessionStore()
