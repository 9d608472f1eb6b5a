"""`portal serve` itself: idle and slow clients, a cold start, rebuilds while serving, and what it writes to its log."""

from __future__ import annotations

import contextlib
import os
import resource
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest

from portal.pipeline.build import build

from .conftest import start_server, stop_server

LOG_PROBLEMS = ("Traceback", "EMFILE", "Too many open files", "out of system resource")


def address(base: str) -> tuple[str, int]:
    parts = urlsplit(base)
    return parts.hostname, parts.port


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))


def open_idle(base: str, n: int) -> list[socket.socket]:
    """Up to n connections that never send a request, as a slow-loris client holds them (opened 50 at a time)."""

    def connect(_):
        try:
            return socket.create_connection(address(base), timeout=3)
        except OSError:  # the server's queue was full for a moment: the client gives up, as a real one would
            return None

    with ThreadPoolExecutor(max_workers=50) as pool:
        return [s for s in pool.map(connect, range(n)) if s is not None]


def closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except (ConnectionResetError, TimeoutError):
        return isinstance(sock, socket.socket)


@pytest.mark.slow
def test_idle_connections_beyond_the_cap_get_a_quick_503_then_expire(built, tmp_path):
    proc, base, log = start_server(
        built.db, tmp_path / "server.log", "--max-connections", "50", "--header-timeout", "2"
    )
    idle: list[socket.socket] = []
    try:
        idle = open_idle(base, 200)
        assert len(idle) == 200
        start = time.monotonic()
        busy = httpx.get(base + "/", timeout=5)
        assert busy.status_code == 503 and "混み合っています" in busy.text
        assert busy.headers["retry-after"]
        assert time.monotonic() - start < 1.0
        time.sleep(2.5)
        assert all(closed_by_server(s) for s in idle)
        assert httpx.get(base + "/", timeout=5).status_code == 200
    finally:
        for s in idle:
            s.close()
        stop_server(proc, log)
    text = base.log.read_text(errors="replace")
    assert not any(p in text for p in LOG_PROBLEMS), text[-2000:]


@pytest.mark.slow
def test_more_connections_than_file_descriptors_never_exhaust_them(built, tmp_path):
    def few_descriptors():
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    proc, base, log = start_server(
        built.db, tmp_path / "server.log", "--header-timeout", "2", preexec_fn=few_descriptors
    )
    idle: list[socket.socket] = []
    try:
        idle = open_idle(base, 600)
        assert len(idle) > 256  # more than the server may open
        time.sleep(2.5)
        assert httpx.get(base + "/data/strategy/kpis.json?_size=1", timeout=5).status_code == 200
        assert len(os.listdir(f"/proc/{base.pid}/fd")) < 256
    finally:
        for s in idle:
            s.close()
        stop_server(proc, log)
    text = base.log.read_text(errors="replace")
    assert not any(p in text for p in LOG_PROBLEMS), text[-2000:]
    assert len(text) < 10_000


def test_a_malformed_request_is_answered_in_japanese(live_server):
    with socket.create_connection(address(live_server), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n")
        answer = b""
        while chunk := s.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400")
    assert "リクエストを読み取れませんでした" in answer.decode()


def fetch_all(urls: list[str]) -> list[int]:
    with ThreadPoolExecutor(max_workers=len(urls)) as pool, httpx.Client(timeout=30) as client:
        return list(pool.map(lambda u: client.get(u).status_code, urls))


@pytest.mark.slow
def test_first_requests_on_a_cold_server_and_after_a_rebuild_all_succeed(tree, tmp_path):
    root, source = tree
    db = root / "db" / "strategy.db"
    proc, base, log = start_server(db, tmp_path / "server.log")
    try:
        paths_ = ["/data/strategy/kpis", "/data/strategy/kpis.json", "/data/strategy/changes", "/data/"]
        assert fetch_all([base + paths_[i % 4] for i in range(50)]) == [200] * 50
        build(source, db, root / "datapackage")
        assert fetch_all([base + paths_[i % 4] + "?_size=5" for i in range(50)]) == [200] * 50
    finally:
        stop_server(proc, log)
    text = base.log.read_text(errors="replace")
    assert not any(p in text for p in LOG_PROBLEMS), text[-2000:]


def counts(pid: int) -> tuple[int, int, int]:
    """Threads, open file descriptors, and descriptors of deleted files, of a process."""
    fd_dir = Path(f"/proc/{pid}/fd")
    targets = []
    for fd in os.listdir(fd_dir):
        with contextlib.suppress(FileNotFoundError):  # closed while listed
            targets.append(os.readlink(fd_dir / fd))
    return len(os.listdir(f"/proc/{pid}/task")), len(targets), sum("(deleted)" in t for t in targets)


@pytest.mark.slow
def test_twenty_rebuilds_leave_threads_and_descriptors_flat(tree, tmp_path):
    root, source = tree
    db = root / "db" / "strategy.db"
    proc, base, log = start_server(db, tmp_path / "server.log")
    seen = []
    try:
        for n in range(20):
            build(source, db, root / "datapackage")
            assert httpx.get(base + f"/data/strategy/kpis.json?_size=1&n={n}", timeout=30).status_code == 200
            assert httpx.get(base + "/goals/1", timeout=30).status_code == 200
            time.sleep(0.2)  # the old Datasette's SQL threads end once idle
            seen.append(counts(base.pid))
    finally:
        stop_server(proc, log)
    threads, fds, deleted = zip(*seen, strict=True)
    assert max(threads[2:]) <= threads[2] + 2, threads
    assert max(fds[2:]) <= fds[2] + 3, fds
    assert max(deleted) <= 2, deleted


def test_overlong_urls_do_not_grow_the_server(live_server):
    before = rss_kb(live_server.pid)
    with httpx.Client(timeout=30) as client:
        for i in range(1000):
            r = client.get(live_server + f"/data/strategy/kpis.json?n={i}&x=" + "a" * 50_000)
            assert r.status_code == 414
    assert rss_kb(live_server.pid) - before < 20_000  # kB


def test_refused_and_failing_requests_add_little_to_the_log(live_server):
    size = live_server.log.stat().st_size
    with httpx.Client(timeout=30) as client:
        for _ in range(20):
            client.get(live_server + "/data/strategy.json?sql=" + quote("select nope from " + "x" * 60_000))
            client.get(live_server + "/data/strategy.db")
            client.get(live_server + "/data/-/permissions")
            client.get(live_server + "/data/strategy/kpis?_sort=nope")
    time.sleep(0.2)
    grown = live_server.log.read_text(errors="replace")[size:]
    assert "Traceback" not in grown
    assert len(grown) < 20 * 1000, grown[:1000]
