"""`portal serve`: uvicorn with the production settings, one or more worker processes."""

from __future__ import annotations

import socket
from collections.abc import Callable

import uvicorn
from uvicorn.supervisors import Multiprocess


class TcpConfig(uvicorn.Config):
    """Binds a socket created with proto=IPPROTO_TCP.

    asyncio turns Nagle's algorithm off only on connections whose socket says
    it is TCP; the socket uvicorn makes itself (used with several workers)
    does not, and every keep-alive response then waits about 40 ms for a
    delayed ACK.
    """

    def bind_socket(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.set_inheritable(True)
        return sock


def run(host: str, port: int, workers: int, on_ready: Callable[[], None] = lambda: None) -> None:
    """Serve portal.asgi (its database from PORTAL_DB) until interrupted."""
    config = TcpConfig(
        "portal.asgi:from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        server_header=False,
        date_header=True,
        proxy_headers=False,
        access_log=False,
        log_level="warning",
    )
    sock = config.bind_socket()
    on_ready()
    if workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])
