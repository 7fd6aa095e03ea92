"""Refuse request bodies over the size limit before they are read (and spooled to disk)."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send


class RequestSizeLimit:
    """Pure ASGI middleware: a declared Content-Length over `max_bytes` gets 413 in words at once.

    Browsers always declare the length of a multipart upload; per-file limits still apply
    to whatever passes here.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            declared = dict(scope["headers"]).get(b"content-length", b"")
            if declared.isdigit() and int(declared) > self.max_bytes:
                body = json.dumps(
                    {
                        "detail": f"The request is {int(declared) / 1e6:.0f} MB, over the "
                        f"{self.max_bytes / 1e6:.0f} MB limit per request; upload fewer files at a time."
                    }
                ).encode()
                headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
                await send({"type": "http.response.start", "status": 413, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
