"""Issue #11 against the launched app: a visitor's queue share, work that stops with its client, capped request
bodies, and a γ flood that leaves no copies in Gradio's cache. Traffic goes to 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from app_fixtures import launched_app
from gradio.utils import get_upload_folder
from gradio_client import Client, handle_file

from studio.limits import MAX_REQUEST_BYTES
from studio.pacing import DisplayPacing
from studio.session import STORE

DISPLAY = ("jet", 0.5, False)
WAIT_S = 120


@pytest.fixture(scope="module")
def url():
    yield from launched_app()


def explain_args(image: str, methods: list[str]) -> tuple:
    return (handle_file(image), "efficientnet_lite0", methods, "top1", "", "", None, 0.6, 3, *DISPLAY)


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def wait_until(condition, seconds: float = WAIT_S) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_visitor_gets_two_places_in_the_queue_and_a_sentence_for_more(url, chelsea_path):
    hog = Client(url, analytics_enabled=False, verbose=False)
    jobs = [hog.submit(*explain_args(chelsea_path, ["fgvis"]), api_name="/explain") for _ in range(5)]
    refused = []
    for job in jobs:
        try:
            job.result(timeout=WAIT_S)
        except httpx.HTTPStatusError as error:  # the join itself was refused, with our sentence as its detail
            refused.append(error.response.json()["detail"])
    assert len(refused) == 3, refused
    assert all(message.startswith("You already have 2 jobs") for message in refused), refused
    other = Client(url, analytics_enabled=False, verbose=False)
    gallery, *_ = other.predict(*explain_args(chelsea_path, ["gradcam"]), api_name="/explain")
    assert len(gallery) == 1


def test_a_cancelled_job_stops_and_frees_the_worker(url, chelsea_path):
    quitter = Client(url, analytics_enabled=False, verbose=False)
    job = quitter.submit(*explain_args(chelsea_path, ["fgvis"]), api_name="/explain")
    visitor = STORE.get(quitter.session_hash)
    assert wait_until(lambda: visitor.started == 1), "the FGVis job never started"
    job.cancel()
    other = Client(url, analytics_enabled=False, verbose=False)
    gallery, *_ = other.predict(*explain_args(chelsea_path, ["gradcam"]), api_name="/explain")
    assert len(gallery) == 1
    assert visitor.explanation is None  # FGVis stopped early: its run never finished, so nothing was installed


def raw_post(url: str, path: str, headers: str) -> bytes:
    """Send only the head of a POST (no body) and return the server's whole answer."""
    parsed = urllib.parse.urlsplit(url)
    with socket.create_connection((parsed.hostname, parsed.port), timeout=30) as connection:
        connection.sendall(f"POST /{path} HTTP/1.1\r\nHost: {parsed.netloc}\r\n{headers}\r\n".encode())
        connection.shutdown(socket.SHUT_WR)
        return b"".join(iter(lambda: connection.recv(65536), b""))


def test_an_oversized_or_undeclared_request_body_is_refused_before_parsing(url):
    too_big = raw_post(url, "gradio_api/queue/join", f"Content-Length: {MAX_REQUEST_BYTES + 1}\r\n")
    assert too_big.startswith(b"HTTP/1.1 413") and b"larger than" in too_big
    undeclared = raw_post(url, "gradio_api/queue/join", "Transfer-Encoding: chunked\r\n")
    assert undeclared.startswith(b"HTTP/1.1 411")


@pytest.mark.parametrize(
    ("values", "sentence"),
    [
        ('NaN, "jet", 0.5, false, null, null', "strength γ must be a number"),
        ('0.9, "jet", NaN, false, null, null', "opacity must be a number"),
        ('0.9, "jet", 0.5, false, {"a": 1}, null', "must be given by name"),
    ],
)
def test_raw_json_that_the_page_cannot_send_is_one_sentence(url, chelsea_path, values, sentence):
    client = Client(url, analytics_enabled=False, verbose=False)
    client.predict(*explain_args(chelsea_path, ["gradcam", "finer-gradcam"]), api_name="/explain")
    body = f'{{"data": [{values}], "session_hash": "{client.session_hash}"}}'.encode()
    request = urllib.request.Request(f"{url}gradio_api/run/finer_gamma", data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    try:
        answer = urllib.request.urlopen(request, timeout=30).read().decode()
    except urllib.error.HTTPError as error:
        answer = error.read().decode()
    assert sentence in json.loads(answer).get("error", ""), answer


def test_a_gamma_flood_adds_no_copies_to_gradios_cache(url, chelsea_path):
    client = Client(url, analytics_enabled=False, verbose=False)
    client.predict(*explain_args(chelsea_path, ["gradcam", "finer-gradcam"]), api_name="/explain")
    cache = Path(get_upload_folder())
    before = folder_bytes(cache)
    for step in range(60):
        client.predict(step / 30, *DISPLAY, None, None, api_name="/finer_gamma")
    added = folder_bytes(cache) - before
    session_files = STORE.get(client.session_hash).files
    assert added <= session_files.bytes + 1_000_000  # only the session's own files, each written once
    assert len(list(session_files.folder.iterdir())) <= 1 + 41


def gamma_body(session_hash: str, gamma: float) -> dict:
    return {"data": [gamma, *DISPLAY, None, None], "session_hash": session_hash}


def post_gamma(url: str, session_hash: str, gamma: float) -> int:
    return httpx.post(f"{url}gradio_api/run/finer_gamma", json=gamma_body(session_hash, gamma), timeout=60).status_code


async def flood_gamma(url: str, session_hash: str, moves: int) -> list[int]:
    """``moves`` slider requests of one session, all sent at once."""
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=moves), timeout=120) as client:
        posts = [client.post(f"{url}gradio_api/run/finer_gamma", json=gamma_body(session_hash, step / moves))
                 for step in range(moves)]  # fmt: skip
        return [answer.status_code for answer in await asyncio.gather(*posts)]


def test_one_sessions_gamma_flood_is_paced_and_other_sessions_are_not(url, chelsea_path):
    flooder, neighbour = (Client(url, analytics_enabled=False, verbose=False) for _ in range(2))
    for client in (flooder, neighbour):
        client.predict(*explain_args(chelsea_path, ["gradcam", "finer-gradcam"]), api_name="/explain")
    with ThreadPoolExecutor(1) as thread:  # its own event loop: Playwright's may be running in this thread
        statuses = thread.submit(asyncio.run, flood_gamma(url, flooder.session_hash, 200)).result()
    # 200 moves at once: the first ~40 wait their 0.05 s turns (2 s at most), the rest are refused with 429.
    assert statuses.count(429) >= 50 and set(statuses) == {200, 429}, statuses
    # A drag waits for each answer before the next move: never refused, even right after the flood.
    assert [post_gamma(url, neighbour.session_hash, step / 10) for step in range(10)] == [200] * 10
    assert [post_gamma(url, flooder.session_hash, step / 10) for step in range(10)] == [200] * 10


def test_display_turns_are_booked_one_interval_apart_and_refusals_book_nothing():
    pacing = DisplayPacing(app=None, interval=0.05, max_wait=0.12)
    waits = [pacing.reserve("a", now=100.0) for _ in range(4)]
    assert waits == pytest.approx([0.0, 0.05, 0.10, 0.15])  # the 4th is past max_wait: refused
    assert pacing.reserve("a", now=100.0) == pytest.approx(0.15)  # the refusal did not push the queue back
    assert pacing.reserve("b", now=100.0) == 0.0  # another session has its own turns
    assert pacing.reserve("a", now=101.0) == 0.0  # turns in the past do not delay a later request
