"""Security headers on every response.

Our pages run only our own script files from ``/static`` (``script-src 'self'``, no inline
script, no ``eval``): even if feed text ever slipped through unescaped it could not execute.
``img-src 'self'`` keeps feed images from loading (they would leak the reviewer's address). ``/docs`` is
under the same policy: Swagger UI's files are served from ``/static/swagger`` and started by
our own script. ``Referrer-Policy: no-referrer`` keeps the review page's address from leaking
to the sites reviewers open. Every response but static files carries ``Cache-Control:
no-store`` unless the route set its own: pages and exports name watched people, and must not
stay in a shared computer's browser cache or a proxy's.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
COMMON_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
CACHEABLE_PATHS = ("/static/",)


class SecurityHeadersMiddleware:
    """Adds ``COMMON_HEADERS`` and the CSP to each HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [*COMMON_HEADERS, (b"content-security-policy", CONTENT_SECURITY_POLICY.encode())]
        cacheable = scope["path"].startswith(CACHEABLE_PATHS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                # A route that sets its own policy or framing keeps it (the digest preview's email).
                own = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in extra if name not in own]
                if not cacheable and not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
