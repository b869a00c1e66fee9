"""The login limiter and the password-check bound against a real uvicorn on loopback, with
real concurrent requests: a burst of guesses checks at most the limit, addresses are told
apart only through a trusted proxy, and waiting logins hold neither hashing memory nor the
threads other pages need. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time

import httpx
import pytest
import uvicorn
from argon2 import PasswordHasher

from monitor.core.settings import get_settings
from monitor.review import users
from monitor.web import auth
from monitor.web.app import create_app
from monitor.web.ratelimit import MAX_ADDRESS_FAILURES, MAX_FAILURES
from tests.support import cli
from tests.support.stack import free_port
from tests.support.web import EMAIL, PASSWORD, add_reviewer, csrf_from

STARTUP_TIMEOUT = 15.0


class CountingHasher(PasswordHasher):
    """The real argon2 hasher, counting how many ``verify`` calls run at once; ``gate`` (when
    set) holds every check until it opens, to pile logins up behind the bound."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8 * 1024, parallelism=1)  # argon2id, only cheaper: a quick suite
        self.lock, self.running, self.most, self.calls = threading.Lock(), 0, 0, 0
        self.gate: threading.Event | None = None

    def verify(self, hash, password):
        with self.lock:
            self.running += 1
            self.calls += 1
            self.most = max(self.most, self.running)
        try:
            if self.gate is not None:
                self.gate.wait(timeout=30)
            return super().verify(hash, password)
        finally:
            with self.lock:
                self.running -= 1


@pytest.fixture
def hasher(monkeypatch) -> CountingHasher:
    counting = CountingHasher()
    monkeypatch.setattr(users, "_hasher", counting)
    return counting


def serve(app) -> tuple[uvicorn.Server, threading.Thread, str]:
    # proxy_headers off, as `monitor web` runs it: the app applies MONITOR_TRUSTED_PROXIES itself.
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture
def server(settings):
    """A real uvicorn serving the app on a free loopback port; yields its base URL."""
    running, thread, base = serve(create_app())
    yield base
    running.should_exit = True
    thread.join(timeout=10)


async def _attempts(base: str, forms: list[dict], headers: list[dict]) -> list[int]:
    """POST every login form at once, each on its own connection; their status codes in order."""
    limits = httpx.Limits(max_connections=len(forms) + 2)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        page = await client.get("/login")
        token = csrf_from(page.text)
        responses = await asyncio.gather(
            *(
                client.post("/login", data={**form, "csrf_token": token}, headers=extra)
                for form, extra in zip(forms, headers)
            )
        )
    return [response.status_code for response in responses]


def attempts(base: str, forms: list[dict], headers: list[dict] | None = None) -> list[int]:
    return asyncio.run(_attempts(base, forms, headers or [{}] * len(forms)))


def test_forty_parallel_guesses_check_at_most_the_limit(server, hasher):
    add_reviewer()
    # The first checks are held for a second, as a slow argon2 on a busy machine would be: every
    # guess arrives while they run, the window a check-then-count limiter leaves open.
    hasher.gate = threading.Event()
    timer = threading.Timer(1.0, hasher.gate.set)
    timer.start()
    codes = attempts(server, [{"email": EMAIL, "password": f"guess {n}"} for n in range(40)])
    timer.join()
    hasher.gate = None
    assert codes.count(401) <= MAX_FAILURES and codes.count(401) + codes.count(429) == 40
    assert hasher.calls == codes.count(401)  # refused attempts never reached argon2
    # Guesses refused in the crush may leave budget over (never more): it runs out at the limit exactly.
    left = MAX_FAILURES - codes.count(401)
    assert [attempts(server, [{"email": EMAIL, "password": "again"}])[0] for _ in range(left + 1)] == [401] * left + [
        429
    ]
    assert attempts(server, [{"email": EMAIL, "password": PASSWORD}]) == [429]  # the account waits now


def test_the_address_limit_counts_guesses_across_accounts(server, hasher):
    codes = attempts(
        server, [{"email": f"user{n}@example.org", "password": "guess"} for n in range(MAX_ADDRESS_FAILURES + 10)]
    )
    assert codes.count(401) <= MAX_ADDRESS_FAILURES and codes.count(429) >= 10


def test_behind_a_trusted_proxy_each_client_address_has_its_own_budget(server, hasher):
    add_reviewer()
    # One attacker behind the proxy (127.0.0.1, trusted by default) spends their address's budget...
    attacker = {"X-Forwarded-For": "203.0.113.5"}
    forms = [{"email": f"user{n}@example.org", "password": "guess"} for n in range(MAX_ADDRESS_FAILURES + 5)]
    codes = attempts(server, forms, [attacker] * len(forms))
    assert codes.count(429) >= 5
    # ...and a colleague arriving through the same proxy still signs in.
    assert attempts(server, [{"email": EMAIL, "password": PASSWORD}], [{"X-Forwarded-For": "198.51.100.7"}]) == [303]


def test_forwarded_addresses_from_an_untrusted_peer_are_ignored(settings, monkeypatch, hasher):
    monkeypatch.setenv("MONITOR_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1")  # not the test's 127.0.0.1
    get_settings.cache_clear()
    running, thread, base = serve(create_app())
    try:
        # Inventing a new X-Forwarded-For per guess does not give the guesser new budgets.
        n = MAX_ADDRESS_FAILURES + 5
        forms = [{"email": f"user{k}@example.org", "password": "guess"} for k in range(n)]
        codes = attempts(base, forms, [{"X-Forwarded-For": f"203.0.113.{k}"} for k in range(n)])
        assert codes.count(429) >= 5
    finally:
        running.should_exit = True
        thread.join(timeout=10)


def test_password_checks_run_at_most_the_bound_at_once_and_waiting_logins_leave_pages_served(server, hasher):
    add_reviewer()
    with httpx.Client(base_url=server, timeout=30) as reviewer:
        token = csrf_from(reviewer.get("/login").text)
        assert (
            reviewer.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token}).status_code == 303
        )
    hasher.gate = threading.Event()
    waiting = 50  # more than the 40 worker threads a process has for pages
    forms = [{"email": f"user{n}@example.org", "password": "guess"} for n in range(waiting)]
    headers = [{"X-Forwarded-For": f"198.51.100.{n}"} for n in range(waiting)]
    outcome: list[list[int]] = []
    burst = threading.Thread(target=lambda: outcome.append(attempts(server, forms, headers)))
    burst.start()
    try:
        deadline = time.monotonic() + 20
        while hasher.running < auth.PASSWORD_CHECKS_AT_ONCE and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # give any check beyond the bound the chance to start (it must not)
        assert hasher.running == auth.PASSWORD_CHECKS_AT_ONCE
        # The logins wait in the event loop, not in worker threads: a reviewer's page is still served.
        with httpx.Client(base_url=server, timeout=10, cookies=reviewer.cookies) as page:
            assert page.get("/review").status_code == 200
    finally:
        hasher.gate.set()
        burst.join(timeout=120)
    assert outcome == [[401] * waiting]
    assert hasher.most == auth.PASSWORD_CHECKS_AT_ONCE


def test_a_bad_trusted_proxies_value_stops_with_one_line_naming_the_variable(settings, tmp_path):
    env = {**os.environ, "MONITOR_TRUSTED_PROXIES": "10.0.0.0/8, proxy.example"}
    done = cli.monitor("db", "upgrade", env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: environment: MONITOR_TRUSTED_PROXIES: Value error, 'proxy.example' is not an IP address or CIDR network"
    ]


def test_trusted_proxies_accept_addresses_and_networks(settings, monkeypatch):
    monkeypatch.setenv("MONITOR_TRUSTED_PROXIES", "127.0.0.1, 172.16.0.0/12, ::1, fd00::/8")
    get_settings.cache_clear()
    assert get_settings().trusted_proxies.startswith("127.0.0.1")
