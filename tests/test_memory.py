"""studio.memory: the malloc arena limit really caps the arenas that worker threads create (glibc only)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Eight threads allocate at once, then glibc's malloc_stats() prints one "Arena N:" block per arena to stderr.
THREADS_THEN_STATS = """
import ctypes, sys, threading
sys.path.insert(0, {root!r})
from studio.memory import limit_malloc_arenas
if {limit}:
    assert limit_malloc_arenas()
barrier = threading.Barrier(8)
def work():
    barrier.wait()
    blocks = [bytearray(4096) for _ in range(2000)]
    barrier.wait()
threads = [threading.Thread(target=work) for _ in range(8)]
[t.start() for t in threads]
[t.join() for t in threads]
ctypes.CDLL(None).malloc_stats()
"""


def arenas_used(limit: bool) -> int:
    script = THREADS_THEN_STATS.format(root=str(ROOT), limit=limit)
    stats = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stderr
    return sum(line.startswith("Arena ") for line in stats.splitlines())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's")
def test_worker_threads_share_two_arenas():
    assert arenas_used(limit=False) > 2  # the default: threads that allocate at once get arenas of their own
    assert arenas_used(limit=True) <= 2
