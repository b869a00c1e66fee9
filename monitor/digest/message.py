"""The digest as an email: multipart text + HTML, list headers and a one-click unsubscribe.

Only fixed words, counts and dates go into headers. The recipient address must be one
plain ``local@domain`` (checked, never parsed leniently) and the subject is built from
counts, so no person name, feed text or address can add a header or a second recipient.

``List-Unsubscribe`` carries a token signed with the secret key (itsdangerous); it names
the recipient row and address, and is the only authority the unsubscribe endpoint needs
(RFC 8058 one-click: a POST without session or CSRF token).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import quote, urlsplit

from itsdangerous import BadSignature, URLSafeSerializer

from monitor.config import get_settings
from monitor.digest.content import Digest
from monitor.mail import MailError, render_email

UNSUBSCRIBE_SALT = "digest-unsubscribe"
# One address, no display name: nothing a header parser could read as a second field or recipient.
PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


def safe_address(address: str) -> str:
    """``address`` when it is one plain ASCII ``local@domain``; else a permanent ``MailError``."""
    if not PLAIN_ADDRESS.fullmatch(address or ""):
        raise MailError(f"recipient {address!r:.80}: not a plain email address; fix it in the config", True)
    return address


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
    if recipient_id is not None:
        token = unsubscribe_token(recipient_id=recipient_id, email=content.recipient)
        content.unsubscribe_url = f"{base}/digest/unsubscribe?token={quote(token)}"
    return content


def render_message(content: Digest, *, now: datetime) -> EmailMessage:
    """The multipart (text + HTML) email for one digest, with list and unsubscribe headers."""
    settings = get_settings()
    to = safe_address(content.recipient)
    subject, text, html = render_email("digest", digest=content)
    domain = _domain(settings.digest_from)
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = settings.digest_from
    msg["To"] = to
    msg["Date"] = format_datetime(now.astimezone(timezone.utc))
    msg["Message-ID"] = make_msgid("digest", domain=domain)
    msg["List-Id"] = f"Mention monitor digest <digest.{domain}>"
    if content.unsubscribe_url:
        msg["List-Unsubscribe"] = f"<{content.unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def _domain(address: str) -> str:
    domain = address.rpartition("@")[2].strip(" >")
    return domain if re.fullmatch(r"[A-Za-z0-9.-]+", domain) else urlsplit(get_settings().base_url).hostname or "localhost"
