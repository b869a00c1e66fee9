"""Building and sending every email: over SMTP when ``MONITOR_SMTP_URL`` is set, else into the outbox.

``build_message`` is the one builder (the digest and spike alerts): three templates in
``mail_templates/`` (``<name>_subject.txt``, ``<name>.txt``, ``<name>.html``), the one
address check (``monitor.core.email_address``) on ``To``, and ``Date``, ``Message-ID`` and
``Auto-Submitted`` on every message. The HTML template is autoescaped; feed text is
hostile, so templates pass it through the ``oneline``/``plaintext``/``weburl`` filters
in both parts. Headers are folded only past RFC 5322's 998 characters, so a long
``List-Unsubscribe`` URL stays a plain ``<https://…>`` (RFC 8058 readers need it so).

``MONITOR_SMTP_URL`` takes three forms (user and password are URL-decoded)::

    smtp://user:pass@host:port              plain SMTP, default port 25
    smtp://user:pass@host:port?starttls=true  upgraded with STARTTLS, default port 25
    smtps://user:pass@host:port             TLS from the first byte, default port 465

The server's certificate is verified against the system CAs, or ``MONITOR_SMTP_CA_FILE``.

Errors::

    MailError(message, permanent)
      permanent=False  the server was unreachable, timed out or said "try later" (4xx)
      permanent=True   the URL is wrong, the login or the recipient was refused (5xx)

The message of a ``MailError`` is one line that never contains the password.
"""

from __future__ import annotations

import html
import logging
import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timezone
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import jinja2
import nh3

from monitor import i18n
from monitor.core.email_address import address_problem
from monitor.core.settings import Settings, create_private_file, get_settings, private_dir
from monitor.text import clip, oneline  # noqa: F401 - templates and callers use them from here

logger = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 30.0
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
TRUE_WORDS = ("1", "true", "yes", "on")
TEMPLATES_DIR = Path(__file__).parent / "mail_templates"
# The default policy folds any header longer than 78 characters, and a URL has no space to
# fold at, so it would be RFC 2047-encoded (=?utf-8?q?=3Chttps…); 998 is the hard limit.
POLICY = email_policy.default.clone(max_line_length=998)


class MailError(Exception):
    """Sending failed; ``permanent`` says whether trying again later can help."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.message = message
        self.permanent = permanent


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to reach the SMTP server, parsed from ``MONITOR_SMTP_URL``."""

    host: str
    port: int
    user: str | None = None
    password: str | None = None
    tls: bool = False  # smtps: TLS from the first byte
    starttls: bool = False

    @property
    def where(self) -> str:
        """``smtp://host:port`` without credentials, for messages and logs."""
        return f"{'smtps' if self.tls else 'smtp'}://{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpConfig:
    """Parse ``smtp://`` or ``smtps://`` URLs; raise a permanent ``MailError`` for anything else."""
    parts = urlsplit(url.strip())
    if parts.scheme not in DEFAULT_PORTS:
        raise MailError(f"MONITOR_SMTP_URL: unsupported scheme {parts.scheme!r}; use smtp:// or smtps://", True)
    if not parts.hostname:
        raise MailError("MONITOR_SMTP_URL: no host; use smtp://user:pass@host:port", True)
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise MailError("MONITOR_SMTP_URL: the port is not a number", True) from None
    query = parse_qs(parts.query)
    starttls = query.get("starttls", ["false"])[-1].lower() in TRUE_WORDS
    return SmtpConfig(
        host=parts.hostname,
        port=port,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        tls=parts.scheme == "smtps",
        starttls=starttls and parts.scheme == "smtp",
    )


def send_message(msg: EmailMessage, *, settings: Settings | None = None) -> Path | None:
    """Deliver ``msg`` to its recipients, or write it to the outbox when no SMTP URL is set.

    Returns the path of the written ``.eml`` file in outbox mode, None after SMTP.
    Raises ``MailError`` on any failure.
    """
    settings = settings or get_settings()
    if not settings.smtp_url:
        return write_to_outbox(msg, settings.outbox_dir)
    config = parse_smtp_url(settings.smtp_url)
    try:
        _smtp_send(config, msg, cafile=settings.smtp_ca_file)
    except (smtplib.SMTPException, OSError) as exc:
        raise _mail_error(config, exc) from exc
    logger.info("mail sent", extra={"to": msg["To"], "smtp": config.where})
    return None


def _smtp_send(config: SmtpConfig, msg: EmailMessage, *, cafile: Path | None = None) -> None:
    # Certificates and host names are always verified; ``cafile`` only replaces the trusted CAs.
    context = ssl.create_default_context(cafile=str(cafile) if cafile else None)
    if config.tls:
        client = smtplib.SMTP_SSL(config.host, config.port, timeout=SMTP_TIMEOUT_SECONDS, context=context)
    else:
        client = smtplib.SMTP(config.host, config.port, timeout=SMTP_TIMEOUT_SECONDS)
    with client:
        if config.starttls:
            client.starttls(context=context)
        if config.user:
            client.login(config.user, config.password or "")
        refused = client.send_message(msg)
    if refused:
        raise smtplib.SMTPRecipientsRefused(refused)


def _mail_error(config: SmtpConfig, exc: Exception) -> MailError:
    code = _smtp_code(exc)
    permanent = isinstance(exc, (smtplib.SMTPNotSupportedError, ssl.SSLCertVerificationError)) or (
        code is not None and code >= 500
    )
    detail = _one_line(_describe(exc))
    return MailError(f"SMTP {config.where}: {detail}", permanent)


def _smtp_code(exc: Exception) -> int | None:
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return min(code for code, _ in exc.recipients.values())
    return None


def _describe(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return f"{exc.smtp_code} {text}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "recipient refused: " + ", ".join(f"{who} ({code})" for who, (code, _) in exc.recipients.items())
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the SMTP server running? check MONITOR_SMTP_URL)"
    if isinstance(exc, TimeoutError):
        return f"no answer within {SMTP_TIMEOUT_SECONDS:g} s"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def write_to_outbox(msg: EmailMessage, outbox: Path) -> Path:
    """Write ``msg`` as ``<outbox>/<UTC timestamp>-<recipient>.eml``; never overwrites a file."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    recipient = re.sub(r"[^A-Za-z0-9@._+-]", "_", str(msg["To"] or "unknown"))[:100]
    try:
        private_dir(outbox)
        return _write_new(outbox, f"{stamp}-{recipient}", msg.as_bytes())
    except OSError as exc:
        raise MailError(f"outbox {outbox}: {_one_line(str(exc))}", False) from exc


def _write_new(outbox: Path, stem: str, data: bytes) -> Path:
    # Written under a temporary name and renamed, so a reader never sees half a message.
    partial = outbox / f".{stem}.partial"
    partial.unlink(missing_ok=True)  # left by a process that died mid-write
    create_private_file(partial, data)  # 0600 from creation: a digest names the people watched
    for n in range(100):
        path = outbox / (f"{stem}.eml" if n == 0 else f"{stem}-{n}.eml")
        if not path.exists():
            partial.replace(path)
            logger.info("mail written to outbox", extra={"path": str(path)})
            return path
    partial.unlink()
    raise OSError(f"too many messages named {stem}")


def check_address(address: str) -> str:
    """``address`` when it is one plain ``local@domain``; else a permanent ``MailError``
    (trying again cannot help: the config must be fixed)."""
    problem = address_problem(address)
    if problem:
        raise MailError(f"recipient {problem}; fix it in the config", True)
    return address


def build_message(
    name: str,
    *,
    to: str,
    now: datetime,
    headers: dict[str, str] | None = None,
    settings: Settings | None = None,
    **context,
) -> EmailMessage:
    """The email rendered from ``name``'s three templates with ``context``, addressed to ``to``.

    ``headers`` (after the standard ones) must be fixed text, counts or our own URLs: never
    feed text. Raises a permanent ``MailError`` when ``to`` is not one plain address.
    """
    settings = settings or get_settings()
    subject, text, html_body = render_email(name, **context)
    msg = EmailMessage(policy=POLICY)
    msg["Subject"] = subject
    msg["From"] = settings.digest_from
    msg["To"] = check_address(to)
    msg["Date"] = format_datetime(now.astimezone(timezone.utc))
    msg["Message-ID"] = make_msgid(name, domain=message_domain(settings))
    for key, value in (headers or {}).items():
        msg[key] = value
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    msg.add_alternative(html_body, subtype="html")
    return msg


def message_domain(settings: Settings) -> str:
    """The domain our Message-IDs and List-Ids carry: the From address's, else the base URL's host."""
    domain = settings.digest_from.rpartition("@")[2].strip(" >")
    return domain if re.fullmatch(r"[A-Za-z0-9.-]+", domain) else urlsplit(settings.base_url).hostname or "localhost"


def render_email(name: str, **context) -> tuple[str, str, str]:
    """Render ``name``'s three templates to (subject, text body, HTML body)."""
    env = _environment()
    subject = oneline(env.get_template(f"{name}_subject.txt").render(**context))
    text = env.get_template(f"{name}.txt").render(**context)
    return subject, text, env.get_template(f"{name}.html").render(**context)


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    # Cached: compiling the templates costs far more than rendering one digest.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    i18n.install(env)  # in the language of ``i18n.use`` around the render: the recipient's
    env.filters.update(oneline=oneline, plaintext=plaintext, clip=clip, weburl=weburl)
    return env


def plaintext(text: str | None) -> str:
    """Feed HTML as one line of plain text: tags (and script/style content) removed, entities decoded."""
    return oneline(html.unescape(nh3.clean(text or "", tags=set())))


def weburl(url: str | None) -> str:
    """``url`` when it is a plain http(s) address, else "" (no javascript:, data: or broken links)."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or oneline(url) != url or " " in url:
        return ""
    return url
