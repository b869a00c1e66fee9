"""A real SMTP server on loopback (aiosmtpd) for every test that sends mail: one sink that keeps
what it accepts, TLS and AUTH helpers, and the fixtures that point MONITOR_SMTP_URL at it."""

from __future__ import annotations

import email
import ssl
import subprocess
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from monitor.core import settings as monitor_config
from tests.support.stack import free_port


class SmtpSink:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [email.message_from_bytes(e.content, policy=policy.default) for e in self.envelopes]

    @property
    def received(self) -> list[tuple[list[str], str]]:
        """(envelope recipients, raw text) per message, in the order they arrived."""
        return [(e.rcpt_tos, e.content.decode("utf-8", "replace")) for e in self.envelopes]

    def recipients(self) -> list[str]:
        return [rcpt for e in self.envelopes for rcpt in e.rcpt_tos]


def make_certificate(folder) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 (openssl), as (cert.pem, key.pem) paths."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


def server_tls(cert: str, key: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def password_check(user: bytes, password: bytes):
    """An aiosmtpd authenticator accepting exactly ``user``/``password``."""

    def authenticator(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=(auth_data.login, auth_data.password) == (user, password), handled=False)

    return authenticator


def start_smtp(**kwargs) -> tuple[Controller, SmtpSink]:
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller, sink


def use_smtp_url(monkeypatch, url: str | None) -> None:
    """Point MONITOR_SMTP_URL at ``url`` (or unset it) and drop the cached settings."""
    if url is None:
        monkeypatch.delenv("MONITOR_SMTP_URL", raising=False)
    else:
        monkeypatch.setenv("MONITOR_SMTP_URL", url)
    monitor_config.get_settings.cache_clear()


@pytest.fixture
def smtp_sink(monkeypatch):
    """A running aiosmtpd on loopback with MONITOR_SMTP_URL pointing at it."""
    controller, sink = start_smtp()
    use_smtp_url(monkeypatch, f"smtp://127.0.0.1:{controller.port}")
    yield sink
    controller.stop()
    monitor_config.get_settings.cache_clear()


@pytest.fixture
def mail_env(monkeypatch, tmp_path):
    """Settings with a private data folder and no database, for mail-only tests."""
    monkeypatch.setenv("MONITOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("MONITOR_SMTP_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    monitor_config.get_settings.cache_clear()
    yield tmp_path
    monitor_config.get_settings.cache_clear()


@pytest.fixture
def smtp(settings, monkeypatch):
    """aiosmtpd on loopback, with this test's settings' MONITOR_SMTP_URL pointing at it."""
    controller, sink = start_smtp()
    use_smtp_url(monkeypatch, f"smtp://127.0.0.1:{controller.port}")
    sink.port = controller.port
    yield sink
    controller.stop()
    monitor_config.get_settings.cache_clear()
