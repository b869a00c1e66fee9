"""Security headers on every response.

Our pages run only our own script files from ``/static`` (``script-src 'self'``, no inline
script, no ``eval``): even if feed text ever slipped through unescaped it could not execute.
``img-src 'self'`` keeps feed images from loading (they would leak the reviewer's address). ``/docs`` (Swagger UI)
needs scripts and is left without the policy. ``Referrer-Policy: no-referrer`` keeps the
review page's address from leaking to the sites reviewers open.
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
NO_CSP_PATHS = ("/docs",)


class SecurityHeadersMiddleware:
    """Adds ``COMMON_HEADERS`` and the CSP to each HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(COMMON_HEADERS)
        if not scope["path"].startswith(NO_CSP_PATHS):
            extra.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)
