"""`portal serve`: uvicorn with the production settings, one or more worker processes.

Slow and idle clients are the reverse proxy's job in a public deployment
(README, "本番での公開"), but a server reached directly must not fall over
either: `PortalH11Protocol` caps the open connections of a worker (beyond
the cap a quick 503 in Japanese, never "too many open files"), closes a
connection that has not sent a request's headers within the deadline, or
that reads nothing of its answer for `send_timeout` seconds, refuses
header fields too large (431) and a request framed two ways at once
(Content-Length with Transfer-Encoding: 400, then closed), and answers
malformed requests in Japanese.  uvicorn has no setting for these: its
limit_concurrency counts requests, not the connections that hold file
descriptors, its keep-alive timeout starts only after a first response,
and h11 (its parser) follows Transfer-Encoding and keeps the connection.
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import socket
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.supervisors import Multiprocess

from .errors import QuietLog

#: defaults of `portal serve --max-connections`, `--header-timeout` and `--send-timeout`
MAX_CONNECTIONS = 1000
HEADER_TIMEOUT = 10.0
SEND_TIMEOUT = 10.0
#: the most bytes of a request's header fields, and the most fields (nginx's default buffers hold 32 kB)
MAX_HEADER_BYTES = 16 * 1024
MAX_HEADER_FIELDS = 100
#: file descriptors kept free for the database, the downloads and the log
SPARE_FDS = 64


def _plain(status: int, reason: bytes, text: str, extra: bytes = b"") -> bytes:
    body = text.encode()
    return (
        b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: %d\r\nconnection: close\r\n%s\r\n"
        % (status, reason, len(body), extra)
    ) + body


REFUSED = {
    400: _plain(400, b"Bad Request", "リクエストを読み取れませんでした。\n"),
    431: _plain(
        431,
        b"Request Header Fields Too Large",
        "リクエストのヘッダーが大きすぎます。Cookie などを減らしてから、もう一度お試しください。\n",
    ),
}

BUSY = _plain(
    503,
    b"Service Unavailable",
    "ただいま混み合っています。しばらくしてから、もう一度お試しください。\n",
    b"retry-after: 5\r\n",
)


def raise_fd_limit() -> int:
    """Raise this process's open-file limit to its hard limit; return the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


@dataclass(frozen=True)
class Limits:
    max_connections: int  #: beyond this, a connection is answered 503
    hard_limit: int  #: beyond this, a connection is dropped at once
    backlog: int  #: connections accepted in one go (asyncio accepts up to this many before any is looked at)
    header_timeout: float  #: seconds a connection may take to send a request's headers
    send_timeout: float  #: seconds a connection may read nothing of its answer before it is closed


@cache
def limits() -> Limits:
    """This worker's limits, from `portal serve`'s options (passed in the environment to every worker).

    The descriptors a worker may hold are shared out so that it never runs
    out of them: one accept burst (the backlog) twice over, the connections up
    to the hard limit, and a spare for files.
    """
    usable = raise_fd_limit() - SPARE_FDS
    backlog = max(8, min(2048, usable // 8))
    hard = max(1, usable - 2 * backlog)
    cap = max(1, min(int(os.environ.get("PORTAL_MAX_CONNECTIONS", MAX_CONNECTIONS)), hard // 2))
    return Limits(
        cap,
        hard,
        backlog,
        float(os.environ.get("PORTAL_HEADER_TIMEOUT", HEADER_TIMEOUT)),
        float(os.environ.get("PORTAL_SEND_TIMEOUT", SEND_TIMEOUT)),
    )


class CheckedConnection(h11.Connection):
    """h11's server side, refusing requests it would accept: header fields too large or too many (431),
    and Content-Length with Transfer-Encoding (RFC 9112 6.1: a request a proxy may read otherwise; 400).

    `refused` keeps the status of the last refusal, for the answer.
    """

    refused = 400

    def next_event(self):
        try:
            event = super().next_event()
        except h11.RemoteProtocolError as exc:
            self.refused = exc.error_status_hint
            raise
        if isinstance(event, h11.Request):
            fields = list(event.headers)
            if len(fields) > MAX_HEADER_FIELDS or sum(len(k) + len(v) + 4 for k, v in fields) > MAX_HEADER_BYTES:
                self.refused = 431
                raise h11.RemoteProtocolError("header fields too large", error_status_hint=431)
            names = {k for k, _ in fields}
            if b"content-length" in names and b"transfer-encoding" in names:
                self.refused = 400
                raise h11.RemoteProtocolError("both Content-Length and Transfer-Encoding")
        return event


class _WithoutInvalidRequestWarning(logging.Filter):
    """uvicorn's line for each malformed request: the protocol writes its own, rate-limited, instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "Invalid HTTP request received."


class PortalH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a connection cap, deadlines for request headers and for reading the answer,
    checked header fields, and Japanese errors."""

    _deadline: asyncio.TimerHandle | None = None
    _stalled: asyncio.TimerHandle | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.conn = CheckedConnection(h11.SERVER, self.config.h11_max_incomplete_event_size or MAX_HEADER_BYTES)
        if not any(isinstance(f, _WithoutInvalidRequestWarning) for f in self.logger.filters):
            self.logger.addFilter(_WithoutInvalidRequestWarning())

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self.limits = limits()
        self._busy = len(self.connections) > self.limits.max_connections
        if len(self.connections) > self.limits.hard_limit:
            # no time to wait for the request: the descriptors are running out
            transport.abort()
            return
        self._arm_deadline()

    def _arm_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self.loop.call_later(self.limits.header_timeout, self._deadline_passed)

    def _deadline_passed(self) -> None:
        waiting_for_headers = self.cycle is None or self.cycle.response_complete
        if waiting_for_headers and not self.transport.is_closing():
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self._busy:
            # answer once the request has arrived, so the client reads the 503 rather than a reset
            self.transport.write(BUSY)
            self.transport.close()
            return
        super().data_received(data)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_deadline()

    def pause_writing(self) -> None:
        """The client reads slower than we write: it has `send_timeout` seconds to read on, or is closed."""
        super().pause_writing()
        if self._stalled is None:
            self._stalled = self.loop.call_later(self.limits.send_timeout, self._send_timed_out)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._stalled is not None:
            self._stalled.cancel()
            self._stalled = None

    def _send_timed_out(self) -> None:
        # the answer is dropped: the request's task sees a disconnected client and ends
        self._stalled = None
        if not self.transport.is_closing():
            self.transport.abort()

    def connection_lost(self, exc) -> None:
        for timer in (self._deadline, self._stalled):
            if timer is not None:
                timer.cancel()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        status = self.conn.refused if self.conn.refused in REFUSED else 400
        _refusals(self.client[0] if self.client else "-", "refused a malformed request (%d)", status)
        self.transport.write(REFUSED[status])
        self.transport.close()


_refusals = QuietLog(logging.getLogger("uvicorn.error"))


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


def run(
    host: str,
    port: int,
    workers: int,
    on_ready: Callable[[], None] = lambda: None,
    forwarded_allow_ips: str | None = None,
) -> None:
    """Serve portal.asgi (database PORTAL_DB; limits PORTAL_MAX_CONNECTIONS, PORTAL_HEADER_TIMEOUT,
    PORTAL_SEND_TIMEOUT) until interrupted."""
    config = TcpConfig(
        "portal.asgi:from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http=PortalH11Protocol,
        server_header=False,
        date_header=True,
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips,
        access_log=False,
        log_level="warning",
        backlog=limits().backlog,  # the open-file limit is raised here, before the workers start: they inherit it
    )
    sock = config.bind_socket()
    on_ready()
    if workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])
