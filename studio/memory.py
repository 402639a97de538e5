"""The C allocator's share of the server's memory bound.

glibc gives each thread that allocates its own malloc arena (up to 8 per core) and keeps every arena at its
peak. Gradio runs events on a pool of worker threads, so each thread that ever ran a model call kept its
own copy of that call's peak: the soak benchmark (``benchmarks/soak.py``) measured +529 MB of resident
memory over a run, against +105 MB with two arenas. :func:`limit_malloc_arenas` sets that limit from inside
the process, so a Space needs no ``MALLOC_ARENA_MAX`` in its environment.
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_ARENA_MAX = -8  # mallopt's parameter number for the arena limit (glibc's malloc.h)
MALLOC_ARENAS = 2  # the limit: the main arena and one shared by all worker threads


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Ask glibc for at most ``arenas`` malloc arenas; False where the C library is not glibc (no change)."""
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    return mallopt(M_ARENA_MAX, arenas) == 1
