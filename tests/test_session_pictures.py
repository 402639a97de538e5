"""The picture middleware: it answers only for regular pictures inside the sessions' folder and hands every
other request to the app behind it (Gradio), unchanged."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

import pytest

import studio.session_pictures as session_pictures
from studio.session_pictures import FILE_ROUTE, SessionPictures

JPEG = b"\xff\xd8\xff\xe0 a small picture"


def call(middleware: SessionPictures, path: str, method: str = "GET", headers=()) -> tuple[int, dict, bytes]:
    """(status, headers, body) of one request through ``middleware``."""
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": list(headers)}
    with ThreadPoolExecutor(1) as thread:  # a loop of its own: the browser tests leave one running in this thread
        thread.submit(asyncio.run, middleware(scope, receive, send)).result()
    return sent[0]["status"], dict(sent[0]["headers"]), sent[1]["body"]


async def downstream(scope, receive, send):
    """Stands for Gradio: answers 418, so that a handed-on request is told apart."""
    await send({"type": "http.response.start", "status": 418, "headers": []})
    await send({"type": "http.response.body", "body": b"gradio"})


@pytest.fixture
def folders(tmp_path):
    root, outside = tmp_path / "camstudio", tmp_path / "elsewhere"
    (root / "session").mkdir(parents=True)
    outside.mkdir()
    (root / "session" / "overlay.jpg").write_bytes(JPEG)
    (root / "session" / "bundle.zip").write_bytes(b"PK")
    (outside / "secret.jpg").write_bytes(b"not yours")
    return root, outside


def test_a_picture_in_a_session_folder_is_served_whole_with_its_type(folders):
    root, _ = folders
    middleware = SessionPictures(downstream, root)
    status, headers, body = call(middleware, f"{FILE_ROUTE}{root}/session/overlay.jpg")
    assert (status, body) == (200, JPEG)
    assert headers[b"content-type"] == b"image/jpeg" and headers[b"content-length"] == str(len(JPEG)).encode()
    assert b"immutable" in headers[b"cache-control"]
    status, headers, body = call(middleware, f"/prefix{FILE_ROUTE}{root}/session/overlay.jpg", method="HEAD")
    assert (status, body) == (200, b"") and headers[b"content-length"] == str(len(JPEG)).encode()


def test_everything_else_goes_on_to_gradio(folders, monkeypatch):
    root, outside = folders
    (root / "session" / "link.jpg").symlink_to(outside / "secret.jpg")
    (root / "session" / "folder.jpg").mkdir()
    os.mkfifo(root / "session" / "pipe.jpg")  # opening it would wait for a writer forever
    middleware = SessionPictures(downstream, root)
    handed_on = [
        f"{FILE_ROUTE}{outside}/secret.jpg",  # outside the sessions' folder
        f"{FILE_ROUTE}{root}/session/../../elsewhere/secret.jpg",  # climbs out
        f"{FILE_ROUTE}{root}/session/link.jpg",  # a link that leads out
        f"{FILE_ROUTE}{root}/session/bundle.zip",  # not a picture
        f"{FILE_ROUTE}{root}/session/gone.jpg",
        f"{FILE_ROUTE}{root}/session/folder.jpg",
        f"{FILE_ROUTE}{root}/session/pipe.jpg",
        f"{FILE_ROUTE}{root}/session/over\0lay.jpg",
        f"/gradio_api/upload{root}/session/overlay.jpg",  # another route
    ]
    for path in handed_on:
        assert call(middleware, path)[0] == 418, path
    picture = f"{FILE_ROUTE}{root}/session/overlay.jpg"
    assert call(middleware, picture, method="POST")[0] == 418
    assert call(middleware, picture, headers=[(b"range", b"bytes=0-3")])[0] == 418
    monkeypatch.setattr(session_pictures, "MAX_PICTURE_BYTES", len(JPEG) - 1)
    assert call(middleware, picture)[0] == 418
