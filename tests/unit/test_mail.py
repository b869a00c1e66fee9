"""monitor.notify.mail against a real SMTP server (aiosmtpd on loopback) and a real outbox folder."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from monitor.core import settings as monitor_config
from monitor.notify.mail import MailError, parse_smtp_url, render_email, send_message, weburl
from tests.support.smtp import (
    SmtpSink,
    free_port,
    make_certificate,
    password_check,
    server_tls,
    start_smtp,
    use_smtp_url,
)


def a_message(to: str = "desk@example.org", subject: str = "Hello") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "monitor@localhost"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content("plain body")
    msg.add_alternative("<p>html body</p>", subtype="html")
    return msg


def test_it_parses_user_and_password_url_decoded():
    config = parse_smtp_url("smtp://us%40er:p%3Ass%2Fw@mail.example.org:2525")
    assert (config.user, config.password) == ("us@er", "p:ss/w")
    assert (config.host, config.port, config.tls, config.starttls) == ("mail.example.org", 2525, False, False)


def test_it_uses_port_25_for_smtp_and_465_for_smtps_by_default():
    assert parse_smtp_url("smtp://mail.example.org").port == 25
    smtps = parse_smtp_url("smtps://mail.example.org")
    assert (smtps.port, smtps.tls, smtps.starttls) == (465, True, False)


def test_it_reads_starttls_from_the_query():
    assert parse_smtp_url("smtp://u:p@mail.example.org:587?starttls=true").starttls is True
    assert parse_smtp_url("smtp://mail.example.org:587?starttls=false").starttls is False
    assert parse_smtp_url("smtp://mail.example.org:587").starttls is False


def test_it_rejects_other_schemes_as_permanent_without_leaking_the_password():
    with pytest.raises(MailError) as caught:
        parse_smtp_url("http://user:secret@mail.example.org")
    assert caught.value.permanent and "secret" not in str(caught.value)
    assert "\n" not in str(caught.value)


def test_it_sends_over_smtp_to_the_recipient(mail_env, smtp_sink):
    assert send_message(a_message(subject="Über")) is None
    assert smtp_sink.recipients() == ["desk@example.org"]
    received = smtp_sink.messages()[0]
    assert received["Subject"] == "Über"
    assert received.get_body(("html",)).get_content().strip() == "<p>html body</p>"
    assert not (mail_env / "data" / "outbox").exists()


def test_it_logs_in_with_the_decoded_credentials(mail_env, monkeypatch):
    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen.append((auth_data.login.decode(), auth_data.password.decode()))
        # handled=False: aiosmtpd itself answers a refusal with 535.
        return AuthResult(success=auth_data.password == b"p@ss:word", handled=False)

    controller, sink = start_smtp(authenticator=authenticator, auth_require_tls=False)
    try:
        use_smtp_url(monkeypatch, f"smtp://desk%40ngo:p%40ss%3Aword@127.0.0.1:{controller.port}")
        send_message(a_message())
        use_smtp_url(monkeypatch, f"smtp://desk%40ngo:wrong@127.0.0.1:{controller.port}")
        with pytest.raises(MailError) as caught:
            send_message(a_message())
    finally:
        controller.stop()
    # smtplib tries each mechanism the server offers before giving up, hence the set.
    assert seen[0] == ("desk@ngo", "p@ss:word") and set(seen[1:]) == {("desk@ngo", "wrong")}
    assert len(sink.envelopes) == 1
    assert caught.value.permanent and "wrong" not in str(caught.value) and "535" in str(caught.value)


def test_it_insists_on_starttls_when_the_url_asks_for_it(mail_env, smtp_sink, monkeypatch):
    port = monitor_config.get_settings().smtp_url.rsplit(":", 1)[1]
    use_smtp_url(monkeypatch, f"smtp://127.0.0.1:{port}?starttls=true")
    with pytest.raises(MailError) as caught:
        send_message(a_message())
    assert "STARTTLS" in str(caught.value) and caught.value.permanent
    assert smtp_sink.envelopes == []


def test_it_upgrades_with_starttls_verifies_the_certificate_and_logs_in(mail_env, monkeypatch):
    cert, key = make_certificate(mail_env)
    controller, sink = start_smtp(
        tls_context=server_tls(cert, key),
        require_starttls=True,
        authenticator=password_check(b"desk", b"s3cret"),
        auth_require_tls=True,
    )
    try:
        use_smtp_url(monkeypatch, f"smtp://desk:s3cret@127.0.0.1:{controller.port}?starttls=true")
        with pytest.raises(MailError) as untrusted:
            send_message(a_message())
        monkeypatch.setenv("MONITOR_SMTP_CA_FILE", cert)
        use_smtp_url(monkeypatch, f"smtp://desk:s3cret@127.0.0.1:{controller.port}?starttls=true")
        send_message(a_message())
    finally:
        controller.stop()
    assert untrusted.value.permanent and "CERTIFICATE_VERIFY_FAILED" in str(untrusted.value)
    assert sink.recipients() == ["desk@example.org"]


def test_it_sends_over_implicit_tls_with_smtps(mail_env, monkeypatch):
    cert, key = make_certificate(mail_env)
    sink = SmtpSink()
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=free_port(),
        ssl_context=server_tls(cert, key),
        authenticator=password_check(b"desk", b"pw"),
        auth_require_tls=False,
    )
    controller.start()
    try:
        monkeypatch.setenv("MONITOR_SMTP_CA_FILE", cert)
        use_smtp_url(monkeypatch, f"smtps://desk:pw@127.0.0.1:{controller.port}")
        send_message(a_message())
    finally:
        controller.stop()
    assert sink.recipients() == ["desk@example.org"]


def test_it_raises_a_temporary_one_line_error_when_the_server_is_down(mail_env, monkeypatch):
    use_smtp_url(monkeypatch, f"smtp://127.0.0.1:{free_port()}")
    with pytest.raises(MailError) as caught:
        send_message(a_message())
    assert not caught.value.permanent
    assert "connection refused" in str(caught.value) and "\n" not in str(caught.value)


def test_it_writes_an_eml_file_to_the_outbox_when_no_smtp_url_is_set(mail_env):
    first = send_message(a_message(to="desk@example.org"))
    second = send_message(a_message(to="desk@example.org"))
    assert first != second and first.parent == second.parent == mail_env / "data" / "outbox"
    assert first.name.endswith("-desk@example.org.eml")
    parsed = email.message_from_bytes(first.read_bytes(), policy=policy.default)
    assert parsed["To"] == "desk@example.org" and parsed.get_body(("plain",)).get_content().strip() == "plain body"
    assert sorted(p.name for p in first.parent.iterdir()) == sorted([first.name, second.name])


def test_it_keeps_hostile_recipient_characters_out_of_the_outbox_filename(mail_env):
    path = send_message(a_message(to='"../../x y" <desk@example.org>'))
    assert path.parent == mail_env / "data" / "outbox" and "/" not in path.name and " " not in path.name


def test_it_links_only_http_urls():
    assert weburl("https://example.org/a?b=1") == "https://example.org/a?b=1"
    assert weburl("javascript:alert(1)") == ""
    assert weburl("data:text/html,<script>") == ""
    assert weburl("https://example.org/\nBcc: x") == ""


def test_it_renders_three_templates_escaping_only_the_html(tmp_path):
    from datetime import date

    from monitor.notify.digest import Digest

    digest = Digest(
        recipient="desk@example.org",
        day=date(2026, 11, 22),
        zone="UTC",
        people=["<b>A</b>"],
        review_url="http://h/review",
    )
    subject, text, html = render_email("digest", digest=digest)
    assert subject == "No new mentions — 22 Nov"
    assert "People: <b>A</b>" in text and "People: &lt;b&gt;A&lt;/b&gt;" in html
