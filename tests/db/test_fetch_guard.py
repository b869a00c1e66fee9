"""The address guard and the politeness gate, with loopback servers on two addresses.

* a refused request takes no slot on the host gate (checked in Redis, where the gate keeps
  its reservations), and a redirect to a refused host takes none for that host;
* a resolver that answers differently the second time (DNS rebinding) cannot steer the
  connection: each hop is resolved once and connected to the checked address, with the
  Host header and the TLS server name kept;
* NAT64 and 6to4 forms of private IPv4 addresses are refused;
* credential headers go to the first origin only, never across a redirect.

The "public" test addresses are loopback ones the test declares public (``addresses.is_public``
is the guard's one policy function), so nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis

from monitor.core.settings import get_settings
from monitor.entry.polling import poll_all_once
from monitor.ingest import addresses, http_clients
from monitor.ingest.fetch import FetchError, HostClients, check_address, fetch_async
from monitor.ingest.politeness import RedisGate
from tests.fixtures import feeds
from tests.support.feedserver import respond


class Recorder:
    """A loopback HTTP(S) server on ``host``: ``routes`` path → (status, headers, body); records each request."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None):
        self.routes: dict[str, tuple[int, dict, bytes]] = {}
        self.hits: list[tuple[str, dict]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                recorder.hits.append((self.path, dict(self.headers)))
                status, headers, body = recorder.routes.get(self.path, (404, {}, b"no"))
                respond(self, status, body, headers)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        if tls:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def guarded(settings, monkeypatch):
    """Private networks refused; only 127.0.0.1 counts as public."""
    monkeypatch.setenv("MONITOR_ALLOW_PRIVATE_NETWORKS", "false")
    get_settings.cache_clear()
    monkeypatch.setattr(addresses, "is_public", lambda address: str(address) == "127.0.0.1")
    return get_settings()


class Rebinding:
    """``socket.getaddrinfo`` that answers each name from a list, one answer per call (then the last)."""

    def __init__(self, answers: dict[str, list[str]]):
        self.answers = answers
        self.calls: dict[str, int] = {name: 0 for name in answers}
        self.real = socket.getaddrinfo

    def __call__(self, host, port, *args, **kwargs):
        if host not in self.answers:
            return self.real(host, port, *args, **kwargs)
        served = self.answers[host]
        address = served[min(self.calls[host], len(served) - 1)]
        self.calls[host] += 1
        return self.real(address, port, *args, **kwargs)


def _fetch(url: str, *, gate_redis: str | None = None, **options):
    """One guarded fetch in its own event loop, through a Redis gate when ``gate_redis`` names one."""

    async def run():
        gate = RedisGate(gate_redis, concurrency=2, min_gap=1.0) if gate_redis else None
        try:
            async with HostClients() as clients:
                return await fetch_async(clients, url, gate=gate, **options)
        finally:
            if gate:
                await gate.close()

    return asyncio.run(run())


# --- the gate ---------------------------------------------------------------------------------


def test_a_request_the_guard_refuses_takes_no_slot_on_the_host_gate(settings, redis_url, monkeypatch):
    monkeypatch.setenv("MONITOR_ALLOW_PRIVATE_NETWORKS", "false")
    monkeypatch.setenv("MONITOR_BROKER_URL", redis_url)
    monkeypatch.setenv("MONITOR_HOST_MIN_GAP_SECONDS", "1")
    get_settings.cache_clear()
    urls = [f"http://127.0.0.1:9/feed{i}" for i in range(30)]
    settings.config.write_text(feeds.config(urls), encoding="utf-8")
    from monitor.core import db
    from monitor.core.config_file import load_watchlist
    from monitor.core.storage import sync_watchlist

    with db.session_scope() as session:
        sync_watchlist(session, watchlist=load_watchlist(settings.config))
    results = poll_all_once()
    assert len(results) == 30 and all("non-public address 127.0.0.1" in r.error for r in results)
    assert redis.Redis.from_url(redis_url).keys("monitor:host:*") == [], "no reservation was made"


def test_a_redirect_to_a_refused_host_takes_no_slot_of_that_host(guarded, redis_url):
    good = Recorder("127.0.0.1")
    try:
        good.routes["/r"] = (302, {"Location": f"http://127.0.0.2:{good.port}/feed"}, b"")
        with pytest.raises(FetchError, match="non-public address 127.0.0.2"):
            _fetch(f"http://127.0.0.1:{good.port}/r", gate_redis=redis_url)
    finally:
        good.close()
    keys = {k.decode() for k in redis.Redis.from_url(redis_url).keys("monitor:host:*")}
    assert "monitor:host:127.0.0.1:next" in keys, "the first hop took its host's slot"
    assert not any("127.0.0.2" in k for k in keys)


# --- resolving once, connecting to what was checked --------------------------------------------


def test_each_hop_connects_to_the_address_that_was_checked_though_dns_answers_otherwise_later(guarded, monkeypatch):
    good = Recorder("127.0.0.1")
    evil = Recorder("127.0.0.2", port=good.port)
    resolver = Rebinding({"feeds.test": ["127.0.0.1", "127.0.0.2"], "mirror.test": ["127.0.0.1", "127.0.0.2"]})
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    try:
        good.routes["/hop"] = (302, {"Location": f"http://mirror.test:{good.port}/feed"}, b"")
        good.routes["/feed"] = (200, {"Content-Type": "application/rss+xml"}, b"<rss/>")
        result = _fetch(f"http://feeds.test:{good.port}/hop")
    finally:
        good.close()
        evil.close()
    assert result.body == b"<rss/>" and result.url == f"http://mirror.test:{good.port}/feed"
    assert evil.hits == [], "nothing reached the address DNS gave on a second ask"
    assert [(p, h["Host"]) for p, h in good.hits] == [
        ("/hop", f"feeds.test:{good.port}"),
        ("/feed", f"mirror.test:{good.port}"),
    ]
    assert resolver.calls == {"feeds.test": 1, "mirror.test": 1}, "each hop resolved once"


def test_the_second_fetch_sees_the_rebound_answer_and_is_refused_without_connecting(guarded, monkeypatch):
    evil = Recorder("127.0.0.2")
    try:
        monkeypatch.setattr(socket, "getaddrinfo", Rebinding({"feeds.test": ["127.0.0.1", "127.0.0.2"]}))
        with pytest.raises(FetchError):  # 127.0.0.1 answers nothing on this port: a connect error, not evil
            _fetch(f"http://feeds.test:{evil.port}/feed")
        with pytest.raises(FetchError, match="non-public address 127.0.0.2"):
            _fetch(f"http://feeds.test:{evil.port}/feed")
    finally:
        evil.close()
    assert evil.hits == []


def _certificate(name: str):
    """A self-signed certificate for ``name`` and its key, as PEM."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def test_a_pinned_https_connection_sends_the_name_as_tls_server_name_and_verifies_it(guarded, monkeypatch, tmp_path):
    cert, key = _certificate("feeds.test")
    (tmp_path / "c.pem").write_bytes(cert)
    (tmp_path / "k.pem").write_bytes(key)
    names = []
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    server_tls.sni_callback = lambda sock, name, ctx: names.append(name)
    server = Recorder("127.0.0.1", tls=server_tls)
    client_tls = ssl.create_default_context(cafile=str(tmp_path / "c.pem"))
    monkeypatch.setattr(http_clients, "tls_context", lambda: client_tls)
    monkeypatch.setattr(socket, "getaddrinfo", Rebinding({"feeds.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]}))
    try:
        server.routes["/feed"] = (200, {}, b"ok")
        assert _fetch(f"https://feeds.test:{server.port}/feed").body == b"ok"
        with pytest.raises(FetchError, match="(?i)certificate|hostname"):
            _fetch(f"https://other.test:{server.port}/feed")  # same address, a name the certificate lacks
    finally:
        server.close()
    assert names[:2] == ["feeds.test", "other.test"]


@pytest.mark.parametrize(
    "answer", ["64:ff9b::7f00:1", "64:ff9b::a00:1", "2002:7f00:1::1", "2002:c0a8:101::1", "::ffff:10.0.0.1"]
)
def test_nat64_and_6to4_forms_of_private_addresses_are_refused(answer, monkeypatch):
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda *a, **k: [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (answer, 80, 0, 0))]
    )
    with pytest.raises(FetchError, match="non-public address"):
        check_address("http://feeds.example/rss", allow_private=False)


def test_nat64_and_6to4_forms_of_public_addresses_pass():
    for text in ("64:ff9b::808:808", "2002:808:808::1", "8.8.8.8", "2001:4860:4860::8888"):
        assert addresses.is_public(ipaddress.ip_address(text)), text


# --- credentials stay with their origin --------------------------------------------------------


def test_credential_headers_are_dropped_on_a_redirect_to_another_origin_and_kept_on_the_same(settings):
    first, other = Recorder("127.0.0.1"), Recorder("127.0.0.2")
    try:
        first.routes["/same"] = (302, {"Location": "/cross"}, b"")
        first.routes["/cross"] = (302, {"Location": f"http://127.0.0.2:{other.port}/feed"}, b"")
        other.routes["/feed"] = (200, {}, b"ok")
        secret = {"Authorization": "Bearer secret", "Cookie": "s=1", "X-Plain": "kept"}
        assert _fetch(f"http://127.0.0.1:{first.port}/same", headers=secret).body == b"ok"
    finally:
        first.close()
        other.close()
    assert [h.get("Authorization") for _, h in first.hits] == ["Bearer secret", "Bearer secret"]
    ((_, crossed),) = other.hits
    assert "Authorization" not in crossed and "Cookie" not in crossed and crossed["X-Plain"] == "kept"


def test_a_port_is_part_of_the_origin(settings):
    first, other = Recorder("127.0.0.1"), Recorder("127.0.0.1")
    try:
        first.routes["/r"] = (307, {"Location": f"http://127.0.0.1:{other.port}/feed"}, b"")
        other.routes["/feed"] = (200, {}, b"ok")
        _fetch(f"http://127.0.0.1:{first.port}/r", headers={"Authorization": "Bearer secret"})
    finally:
        first.close()
        other.close()
    assert "Authorization" not in other.hits[0][1]


def test_when_the_first_checked_address_refuses_the_connection_the_next_checked_one_is_tried(settings, monkeypatch):
    server = Recorder("127.0.0.1")
    real = socket.getaddrinfo

    def two_answers(host, port, *args, **kwargs):
        if host != "feeds.test":
            return real(host, port, *args, **kwargs)
        return real("127.0.0.3", port, *args, **kwargs) + real("127.0.0.1", port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", two_answers)
    try:
        server.routes["/feed"] = (200, {}, b"ok")
        assert _fetch(f"http://feeds.test:{server.port}/feed").body == b"ok"
    finally:
        server.close()
    assert server.hits[0][1]["Host"] == f"feeds.test:{server.port}"
