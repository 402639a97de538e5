"""The Finer slider's handler: fast on a busy machine without changing what it shows."""

from __future__ import annotations

import threading

import pytest
import torch

from studio.display_handlers import one_torch_thread


def test_one_torch_thread_runs_alone_and_gives_the_count_back_even_after_an_error():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError), one_torch_thread():
        assert torch.get_num_threads() == 1
        raise RuntimeError("a failing move")
    assert torch.get_num_threads() == before


def test_one_torch_thread_leaves_other_threads_their_own_count():
    inside, done, seen = threading.Event(), threading.Event(), []
    before = torch.get_num_threads()
    torch.set_num_threads(2)  # so that "its own count" differs from the move's one thread, even on one core

    def move() -> None:
        with one_torch_thread():
            inside.set()
            done.wait(10)

    worker = threading.Thread(target=move)
    worker.start()
    inside.wait(10)
    seen.append(torch.get_num_threads())  # this thread's count while the move holds one thread
    done.set()
    worker.join()
    torch.set_num_threads(before)
    assert seen == [2]
