"""Fetching through a proxy: a real SOCKS5 proxy (pproxy, a subprocess) on loopback.

The proxy's own log (``pproxy -v``: ``socks5 CLIENT -> HOST:PORT``) is the witness of which
connections it carried and by which name. Loopback feeds pass the guard only because the
test settings allow private networks (``MONITOR_ALLOW_PRIVATE_NETWORKS``, as every poll test
does); the guard's refusals through a proxy are tested with it off.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlmodel import select

from monitor.core import db
from monitor.core import settings as monitor_config
from monitor.core.config_file import ConfigError, load_watchlist
from monitor.core.models import Mention, Source
from monitor.core.storage.config_sync import sync_config
from monitor.entry.polling import poll_all_once
from monitor.ingest.fetch import FetchError, fetch
from monitor.ingest.proxies import (
    ProxyConfigError,
    check_proxy_url,
    effective_proxy,
    local_host_problem,
    redacted,
)
from tests.fixtures import feeds
from tests.support.feedserver import FeedServer, Route


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SocksProxy:
    """``python -m pproxy -l socks5://127.0.0.1:PORT -v``; ``log()`` is what it printed so far."""

    def __init__(self, log_path: Path):
        self.port = _free_port()
        self.url = f"socks5://127.0.0.1:{self.port}"
        self._log_path = log_path
        self._log = open(log_path, "wb")
        self._process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pproxy", "-l", f"socks5://127.0.0.1:{self.port}", "-v"],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_listening()

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"pproxy did not listen: {self.log()}")

    def log(self) -> str:
        self._log.flush()
        return self._log_path.read_text(errors="replace")

    def close(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)
        self._log.close()


@pytest.fixture
def socks_proxy(tmp_path):
    proxy = SocksProxy(tmp_path / "pproxy.log")
    yield proxy
    proxy.close()


def _use_settings(monkeypatch, **env: str) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monitor_config.get_settings.cache_clear()


def _sync(settings, text: str) -> None:
    settings.config.write_text(text, encoding="utf-8")
    with db.session_scope() as session:
        sync_config(session, watchlist=load_watchlist(settings.config), allow_empty=True)


def _source(url: str) -> Source:
    with db.session_scope() as session:
        return session.exec(select(Source).where(Source.url == url)).one()


def _mention_count() -> int:
    with db.session_scope() as session:
        return len(session.exec(select(Mention.id)).all())


def test_a_poll_goes_through_the_socks5_proxy_and_its_log_shows_the_connection(settings, monkeypatch, socks_proxy):
    _use_settings(monkeypatch, MONITOR_PROXY_URL=socks_proxy.url)
    with FeedServer() as server:
        server.routes["/rss"] = Route(feeds.rss(server.url("")))
        _sync(settings, feeds.config([server.url("/rss")]))
        results = poll_all_once()

    assert [(r.error, r.new) for r in results] == [(None, feeds.MATCHING_POSTS)]
    assert f"-> 127.0.0.1:{server.port}" in socks_proxy.log()
    assert _mention_count() == feeds.MATCHING_POSTS


def test_a_source_key_proxy_carries_that_source_alone(settings, socks_proxy):
    with FeedServer() as server:
        server.routes["/a"] = Route(feeds.rss(server.url("/a")))
        with FeedServer() as other:
            other.routes["/b"] = Route(feeds.rss(other.url("/b")))
            _sync(
                settings,
                feeds.config([server.url("/a")])
                + f'\n[[source]]\nurl = "{other.url("/b")}"\nproxy = "{socks_proxy.url}"\n',
            )
            results = poll_all_once()

    assert [r.error for r in results] == [None, None]
    log = socks_proxy.log()
    assert f"-> 127.0.0.1:{other.port}" in log
    assert f"-> 127.0.0.1:{server.port}" not in log
    assert _source(other.url("/b")).proxy == socks_proxy.url


def test_proxy_none_on_a_source_bypasses_monitor_proxy_url(settings, monkeypatch, socks_proxy):
    _use_settings(monkeypatch, MONITOR_PROXY_URL=socks_proxy.url)
    with FeedServer() as server:
        server.routes["/rss"] = Route(feeds.rss(server.url("")))
        _sync(settings, feeds.CONFIG_PEOPLE + f'\n[[source]]\nurl = "{server.url("/rss")}"\nproxy = "none"\n')
        results = poll_all_once()

    assert [(r.error, r.new) for r in results] == [(None, feeds.MATCHING_POSTS)]
    assert f"127.0.0.1:{server.port}" not in socks_proxy.log()
    assert len(server.hits_for("/rss")) == 1


def test_a_proxy_that_is_down_is_an_error_recorded_on_the_source(settings, monkeypatch):
    down = f"socks5://127.0.0.1:{_free_port()}"  # nothing listens there
    _use_settings(monkeypatch, MONITOR_PROXY_URL=down)
    with FeedServer() as server:
        server.routes["/rss"] = Route(feeds.rss(server.url("")))
        _sync(settings, feeds.config([server.url("/rss")]))
        results = poll_all_once()

    assert results[0].error and "through proxy" in results[0].error
    source = _source(server.url("/rss"))
    assert source.last_error and down in source.last_error and source.consecutive_failures == 1
    assert server.hits == []  # nothing went around the proxy
    assert _mention_count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/feed",
        "http://localhost/feed",
        "http://LOCALHOST./feed",
        "http://[::1]/feed",
        "http://127.1/feed",
        "http://0x7f.0.0.1/feed",
        "http://2130706433/feed",
        "http://10.0.0.5/feed",
        "http://printer.local/feed",
        "http://db.internal/feed",
        "http://intranet/feed",
        "http://[::ffff:127.0.0.1]/feed",
    ],
)
def test_through_a_proxy_the_guard_refuses_private_literals_and_local_names_before_sending(
    url, monkeypatch, tmp_path, socks_proxy
):
    _use_settings(monkeypatch, MONITOR_ALLOW_PRIVATE_NETWORKS="false", MONITOR_DATA_DIR=str(tmp_path))
    with pytest.raises(FetchError) as refused:
        fetch(url, proxy=socks_proxy.url)
    assert "non-public" in str(refused.value) or "local name" in str(refused.value)
    assert "->" not in socks_proxy.log()


def test_through_a_proxy_the_name_is_sent_to_the_proxy_and_not_resolved_here(monkeypatch, tmp_path, socks_proxy):
    _use_settings(monkeypatch, MONITOR_ALLOW_PRIVATE_NETWORKS="false", MONITOR_DATA_DIR=str(tmp_path))
    looked_up: list[str] = []
    real = socket.getaddrinfo

    def recording(host, *args, **kwargs):
        looked_up.append(host)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", recording)
    name = "feeds.monitor-test.invalid"  # never resolves anywhere: only the proxy may try
    with pytest.raises(FetchError) as failed:
        fetch(f"http://{name}/rss", proxy=socks_proxy.url)

    assert f"-> {name}:80" in socks_proxy.log()
    assert name not in looked_up
    assert "through proxy" in str(failed.value)


def test_a_proxy_password_never_appears_in_an_error(monkeypatch, tmp_path):
    _use_settings(monkeypatch, MONITOR_DATA_DIR=str(tmp_path))
    down = f"socks5://user:s3cret@127.0.0.1:{_free_port()}"
    with pytest.raises(FetchError) as failed:
        fetch("http://feeds.monitor-test.invalid/rss", proxy=down)
    assert "s3cret" not in str(failed.value) and "user" not in str(failed.value)


def test_monitor_proxy_url_must_be_a_proxy_url(monkeypatch):
    monkeypatch.setenv("MONITOR_PROXY_URL", "ftp://127.0.0.1:21")
    with pytest.raises(ValueError, match="bad proxy URL"):
        monitor_config.Settings()


def test_a_source_proxy_key_is_validated_and_history_is_bounded(tmp_path):
    path = tmp_path / "monitor.toml"
    path.write_text(feeds.CONFIG_PEOPLE + '\n[[source]]\nurl = "https://example.org/feed"\nproxy = "tor"\n')
    with pytest.raises(ConfigError, match=r"source\[1\].*proxy: bad proxy URL"):
        load_watchlist(path)
    path.write_text(feeds.CONFIG_PEOPLE + '\n[[source]]\nurl = "https://t.me/s/chan"\nhistory = -1\n')
    with pytest.raises(ConfigError, match=r"source\[1\].*history"):
        load_watchlist(path)


def test_sync_copies_proxy_and_history_and_clears_them_when_removed(settings):
    url = "https://t.me/s/somechannel"
    _sync(settings, feeds.CONFIG_PEOPLE + f'\n[[source]]\nurl = "{url}"\nproxy = "none"\nhistory = 40\n')
    assert (_source(url).proxy, _source(url).history) == ("none", 40)
    _sync(settings, feeds.CONFIG_PEOPLE + f'\n[[source]]\nurl = "{url}"\n')
    assert (_source(url).proxy, _source(url).history) == (None, None)


def test_the_source_key_wins_over_the_setting():
    assert effective_proxy("socks5://a:1", None) == "socks5://a:1"
    assert effective_proxy("socks5://a:1", "none") is None
    assert effective_proxy(None, "http://b:2") == "http://b:2"
    assert effective_proxy(None, None) is None


@hsettings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_proxy_text_is_accepted_or_refused_in_one_line(text):
    try:
        value = check_proxy_url(text)
    except ProxyConfigError as exc:
        assert "\n" not in str(exc)
    else:
        assert value == "none" or value.split("://", 1)[0] in ("http", "https", "socks5", "socks5h")
        assert "@" not in redacted(value)


@hsettings(max_examples=300, deadline=None)
@given(st.ip_addresses())
def test_every_non_public_address_literal_is_refused_through_a_proxy(address):
    from monitor.ingest.addresses import is_public

    host = f"[{address}]" if address.version == 6 else str(address)
    assert (local_host_problem(host) is None) == is_public(address)


def test_onion_and_public_names_pass_the_guard_for_the_proxy_to_resolve():
    assert local_host_problem("duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion") is None
    assert local_host_problem("news.example.org") is None
    assert local_host_problem("8.8.8.8") is None
