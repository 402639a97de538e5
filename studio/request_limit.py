"""An ASGI middleware that refuses oversized request bodies before anything parses them.

Gradio caps uploads (``max_file_size``) but parses any JSON body in full: a 200 MB prompt cost 620 MB and
5 s before it was refused. Every request except the upload route must declare its length, at most
``MAX_REQUEST_BYTES``; a larger or undeclared body gets HTTP 413 / 411 and one sentence.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .limits import MAX_REQUEST_BYTES

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Callable, Callable], Awaitable[None]]
BODY_METHODS = {"POST", "PUT", "PATCH"}


class RequestSizeLimit:
    """Wraps an ASGI app; uploads (paths ending in ``/upload``) are left to Gradio's own limit."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_REQUEST_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS or scope["path"].endswith("/upload"):
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is None or not length.isdigit():
            return await refuse(send, 411, "Please send the request's Content-Length.")
        if int(length) > self.max_bytes:
            return await refuse(send, 413, f"The request is larger than {self.max_bytes // 1024} KB.")
        return await self.app(scope, receive, send)


async def refuse(send: Callable, status: int, message: str) -> None:
    body = message.encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
