"""The digest as an email: multipart text + HTML, list headers and a one-click unsubscribe.

Built by ``monitor.notify.mail.build_message`` like every email. Only fixed words, counts, dates
and our own URLs go into headers. The recipient address must be one plain
``local@domain`` (checked, never parsed leniently) and the subject is built from counts,
so no person name, feed text or address can add a header or a second recipient.

``List-Unsubscribe`` carries a token signed with the secret key (itsdangerous); it names
the recipient row and address, and is the only authority the unsubscribe endpoint needs
(RFC 8058 one-click: a POST without session or CSRF token).
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeSerializer

from monitor.core.settings import get_settings
from monitor.notify.digest.content import Digest
from monitor.notify.mail import build_message, message_domain

UNSUBSCRIBE_SALT = "digest-unsubscribe"


def unsubscribe_token(*, recipient_id: int, email: str) -> str:
    """A signed token naming one recipient row and its address."""
    return _serializer().dumps({"r": recipient_id, "e": email})


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """(recipient id, email) from a token this monitor signed, or None."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("r"), int) or not isinstance(data.get("e"), str):
        return None
    return data["r"], data["e"]


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().resolved_secret_key(), salt=UNSUBSCRIBE_SALT)


def links(content: Digest, *, recipient_id: int | None) -> Digest:
    """Fill ``content``'s review and unsubscribe links from ``MONITOR_BASE_URL``."""
    base = get_settings().base_url.rstrip("/")
    content.review_url = base + "/review"
    content.mentions_url = base + "/mentions"
    if recipient_id is not None:
        token = unsubscribe_token(recipient_id=recipient_id, email=content.recipient)
        content.unsubscribe_url = f"{base}/digest/unsubscribe?token={quote(token)}"
    return content


def render_message(content: Digest, *, now: datetime) -> EmailMessage:
    """The multipart (text + HTML) email for one digest, with list and unsubscribe headers."""
    settings = get_settings()
    headers = {"List-Id": f"Mention monitor digest <digest.{message_domain(settings)}>"}
    if content.unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{content.unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return build_message("digest", to=content.recipient, now=now, headers=headers, settings=settings, digest=content)
