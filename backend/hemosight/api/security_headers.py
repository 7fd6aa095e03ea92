"""Security headers on every response of `hemosight serve` (API and browser app alike).

The Content-Security-Policy is what makes keeping the bearer token in localStorage defensible
(docs/SECURITY.md): scripts run only from this origin (the built app's /assets), with no inline
script and no eval, so an injected string cannot become code that reads the token. Vega charts
run without eval because VegaChart passes ``ast: true`` (vega-embed's CSP-safe expression
interpreter). One exception: ``style-src 'unsafe-inline'``, because vega-embed and vega-tooltip
add <style> elements and React sets style attributes; styles cannot run script.
Frames: none (clickjacking). Behind nginx, deploy/nginx.conf sends the same headers.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
#: Swagger UI (only when HEMOSIGHT_API_DOCS is on) is an inline script plus pinned files from a CDN.
DOCS_CDN = "https://cdn.jsdelivr.net"
DOCS_CONTENT_SECURITY_POLICY = (
    f"default-src 'self'; script-src 'self' 'unsafe-inline' {DOCS_CDN}; style-src 'self' 'unsafe-inline' {DOCS_CDN}; "
    "img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; object-src 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SecurityHeaders:
    """Pure ASGI middleware: adds the headers above (and the CSP) unless a route set its own."""

    def __init__(self, app: ASGIApp, docs_path: str | None = None) -> None:
        self.app = app
        self.docs_path = docs_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_CONTENT_SECURITY_POLICY if scope["path"] == self.docs_path else CONTENT_SECURITY_POLICY
        extra = [(k.lower().encode(), v.encode()) for k, v in {**HEADERS, "Content-Security-Policy": policy}.items()]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *[h for h in extra if h[0] not in present]]
            await send(message)

        await self.app(scope, receive, send_with_headers)
