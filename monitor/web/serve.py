"""Serving the web app with uvicorn in one process or several: ``python -m monitor.web.serve``.

With ``--workers N`` (N > 1) uvicorn's supervisor binds the listening socket with ``proto``
left at 0; asyncio enables ``TCP_NODELAY`` only on connections whose socket says
``IPPROTO_TCP``, so Nagle's algorithm stays on and every keep-alive request after the first
waits about 40 ms for the client's delayed ACK (uvicorn issue #3149). ``serve`` binds the
socket as TCP itself and hands it to the same supervisor. One process needs no help: asyncio
builds that listener from ``getaddrinfo``, which sets the protocol.
"""

from __future__ import annotations

import argparse
import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

APP = "monitor.web.app:create_app"


def tcp_listener(host: str, port: int) -> socket.socket:
    """A bound, inheritable TCP socket whose accepted connections get ``TCP_NODELAY``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def serve(*, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, log_level: str = "info") -> None:
    """Run the web app until interrupted, in ``workers`` processes sharing one listener."""
    # proxy_headers off: the app applies MONITOR_TRUSTED_PROXIES itself (monitor.web.app).
    config = uvicorn.Config(
        APP, factory=True, host=host, port=port, workers=workers, log_level=log_level, proxy_headers=False
    )
    if workers <= 1:
        uvicorn.Server(config).run()
        return
    Multiprocess(config, sockets=[tcp_listener(host, port)]).run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args()
    serve(host=args.host, port=args.port, workers=args.workers, log_level=args.log_level)


if __name__ == "__main__":
    main()
