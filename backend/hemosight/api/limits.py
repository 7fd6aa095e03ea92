"""Refuse request bodies over the size limit: at once when declared, while streaming when not.

A declared Content-Length over the limit gets 413 before anything is read. A body without one
(``Transfer-Encoding: chunked``) is counted as it arrives; the chunk that passes the limit ends
the request with the same 413, before the upload route can store anything of it.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RequestTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes the limit; answered as 413 in words."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(413, _message(size, limit, streamed=True))


def _message(size: int, limit: int, streamed: bool = False) -> str:
    """Words for the 413: the declared size, or (streamed: the size is not known yet) only that it is over."""
    over = (
        f"over the {limit / 1e6:.0f} MB limit per request"
        if streamed
        else (f"{size / 1e6:.0f} MB, over the {limit / 1e6:.0f} MB limit per request")
    )
    return f"The request is {over}; upload fewer files at a time."


class RequestSizeLimit:
    """Pure ASGI middleware: a body over `max_bytes` gets 413 in words, whether its length is declared or not."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await _send_413(send, _message(int(declared), self.max_bytes))
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise RequestTooLarge(received, self.max_bytes)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except RequestTooLarge as exc:  # read outside the routes' error handling: answer here
            if started:
                raise
            await _send_413(send, str(exc.detail))


async def _send_413(send: Send, message: str) -> None:
    body = json.dumps({"detail": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
