"""Serving: with several workers the listener ``monitor.web.serve`` binds gives every accepted
connection ``TCP_NODELAY`` (uvicorn's own leaves Nagle on: +40 ms per keep-alive request), and
each process freezes its warmed-up heap once so that full collections stop pausing pages."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import socket
import subprocess
import sys
import time

import httpx

from monitor.web.serve import tcp_listener
from tests.support.stack import free_port as _free_port

STARTUP_TIMEOUT = 60.0


def _nodelay_of_accepted(listener: socket.socket) -> int:
    """Serve ``listener`` with asyncio, connect once, and report TCP_NODELAY of the accepted socket."""
    seen: list[int] = []

    class Report(asyncio.Protocol):
        def connection_made(self, transport):
            seen.append(transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def run() -> None:
        server = await asyncio.get_running_loop().create_server(Report, sock=listener)
        host, port = listener.getsockname()[:2]
        _, writer = await asyncio.open_connection(host, port)
        while not seen:
            await asyncio.sleep(0.01)
        writer.close()
        server.close()

    asyncio.run(run())
    return seen[0]


def test_connections_accepted_on_our_listener_have_tcp_nodelay():
    assert _nodelay_of_accepted(tcp_listener("127.0.0.1", 0)) != 0


def test_a_listener_bound_without_the_tcp_protocol_would_leave_nagle_on():
    # What uvicorn's supervisor binds (proto 0): the reason serve() binds its own.
    plain = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    plain.bind(("127.0.0.1", 0))
    assert _nodelay_of_accepted(plain) == 0


def test_several_workers_are_given_our_listener(monkeypatch):
    """``serve`` hands uvicorn's supervisor the listener whose connections get TCP_NODELAY
    (only the supervisor is stood in for: it would fork the workers and never return)."""
    from monitor.web import serve as serving

    handed: list[socket.socket] = []

    class Supervisor:
        def __init__(self, config, *, sockets):
            assert config.workers == 2
            handed.extend(sockets)

        def run(self):
            pass

    monkeypatch.setattr(serving, "Multiprocess", Supervisor)
    serving.serve(port=0, workers=2)

    assert len(handed) == 1 and handed[0].proto == socket.IPPROTO_TCP
    assert _nodelay_of_accepted(handed[0]) != 0


def test_two_workers_answer_keep_alive_requests(settings):
    """The real two-process server: started as users start it, it answers request after request
    on one kept-alive connection. (How fast is a benchmark's question: on a loaded machine the
    median was once over 30 ms with TCP_NODELAY set, and plain uvicorn answered as fast here.)"""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "monitor.web.serve", "--port", str(port), "--workers", "2", "--log-level", "warning"],
        env=dict(os.environ),
        start_new_session=True,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while True:
                try:
                    client.get("/login")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "the web server did not start"
                    time.sleep(0.2)
            peers = set()
            for _ in range(10):  # one connection: every request after the first is a keep-alive one
                response = client.get("/healthz")
                assert response.status_code == 200
                peers.add(response.extensions["network_stream"].get_extra_info("client_addr"))
        assert len(peers) == 1  # the same local address each time: the connection was kept alive
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_the_heap_is_frozen_once_after_warm_up(client, monkeypatch):
    from monitor.web import warmup

    monkeypatch.setattr(warmup, "_served", 0)
    monkeypatch.setattr(warmup, "_frozen", False)
    gc.unfreeze()
    try:
        for _ in range(warmup.WARMUP_REQUESTS - 1):
            assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() == 0
        client.get("/healthz")
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # the modules and everything loaded so far
        client.get("/healthz")
        assert gc.get_freeze_count() <= frozen  # once per process: nothing more is frozen
    finally:
        gc.unfreeze()
