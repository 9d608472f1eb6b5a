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

from .conftest import child_processes, start_server, stop_server, until, workers_settled

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


def answers(url: str) -> bool:
    """Whether `url` is answered 200 now (a refused or unanswered connection is no)."""
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def connections_from(pid: int, sockets: list[socket.socket]) -> int:
    """How many of the clients' `sockets` the server process `pid` still holds a connection with (/proc/net/tcp)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(FileNotFoundError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    clients = set()
    for s in sockets:
        host, port = s.getsockname()[:2]
        clients.add(f"{int.from_bytes(socket.inet_aton(host), 'little'):08X}:{port:04X}")
    held = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        held += fields[2] in clients and fields[9] in inodes
    return held


def closed_by_server(sock: socket.socket, wait: float = 10.0) -> bool:
    """Whether the server closes a connection that sent nothing, waiting for it at most `wait` seconds."""
    sock.settimeout(wait)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


@pytest.mark.slow
def test_idle_connections_beyond_the_cap_get_a_quick_503_then_expire(built, tmp_path):
    proc, base, log = start_server(
        built.db, tmp_path / "server.log", "--max-connections", "50", "--header-timeout", "2"
    )
    idle: list[socket.socket] = []
    try:
        idle = open_idle(base, 200)
        assert len(idle) == 200
        busy = httpx.get(base + "/", timeout=5)
        assert busy.status_code == 503 and "混み合っています" in busy.text
        assert busy.headers["retry-after"]
        # each idle connection is closed by the server once its header timeout (2 s) has passed
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
        # the idle connections it took are closed at their header timeout (2 s), and it answers again
        until(lambda: answers(base + "/data/strategy/kpis.json?_size=1"))
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
            # a visitor's SQL runs in a worker process, which follows the build too
            adhoc = httpx.get(
                base + "/data/strategy.json", params={"sql": f"select {n}, count(*) from kpis"}, timeout=30
            )
            assert adhoc.status_code == 200 and adhoc.json()["rows"][0][0] == n
            time.sleep(0.2)  # the old Datasette's SQL threads end once idle
            seen.append(counts(base.pid))
        databases = [
            os.readlink(f)
            for w in child_processes(base.pid)
            for f in Path(f"/proc/{w}/fd").iterdir()
            if f.name.isdigit()
        ]
        databases = [d for d in databases if d.endswith("strategy.db") or "strategy.db (deleted)" in d]
    finally:
        stop_server(proc, log)
    threads, fds, deleted = zip(*seen, strict=True)
    assert max(threads[2:]) <= threads[2] + 2, threads
    assert max(fds[2:]) <= fds[2] + 3, fds
    assert max(deleted) <= 2, deleted
    # the worker that answered holds the current build's file, and no removed one
    assert 1 <= len(databases) <= 3 and not any("(deleted)" in d for d in databases), databases


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
    grown = live_server.log.read_text(errors="replace")[size:]
    assert "Traceback" not in grown
    assert len(grown) < 20 * 1000, grown[:1000]


def raw_exchange(base: str, request: bytes, wait: float = 3.0) -> bytes:
    """Send raw bytes, and read until the server closes the connection or `wait` seconds pass."""
    with socket.create_connection(address(base), timeout=wait) as s:
        s.sendall(request)
        answer = b""
        try:
            while chunk := s.recv(65536):
                answer += chunk
        except TimeoutError:
            answer += b"<still open>"
    return answer


def test_a_request_framed_two_ways_is_refused_and_the_connection_closed(live_server):
    """Content-Length with Transfer-Encoding: a proxy may read the body one way and the server the other."""
    smuggled = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    answer = raw_exchange(
        live_server,
        b"POST /data/strategy/kpis HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"0\r\n\r\n" + smuggled,
    )
    assert answer.startswith(b"HTTP/1.1 400") and answer.count(b"HTTP/1.1 ") == 1
    assert not answer.endswith(b"<still open>")
    assert "リクエストを読み取れませんでした" in answer.decode()


@pytest.mark.parametrize(
    "headers",
    [b"X-Big: " + b"a" * 70_000 + b"\r\n", b"".join(b"X-H%d: 1\r\n" % i for i in range(1000))],
    ids=["a 70 kB header", "1000 headers"],
)
def test_header_fields_too_large_are_431(live_server, headers):
    answer = raw_exchange(live_server, b"GET / HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431")
    assert "ヘッダーが大きすぎます" in answer.decode() and not answer.endswith(b"<still open>")


def test_sql_errors_write_short_lines_however_many_come(live_server):
    """A long search in a table that does not exist, 300 times: a few short lines, never the SQL and its values."""
    size = live_server.log.stat().st_size
    with httpx.Client(timeout=30) as client:
        for i in range(300):
            r = client.get(live_server + f"/data/strategy/kpis.json?_fts_table=x&_search={'a' * 6000}&n={i}")
            assert r.status_code == 400
    grown = live_server.log.read_text(errors="replace")[size:]
    assert len(grown) < 2_000, grown[:2000]
    assert "aaaaaaaaaa" not in grown and "Traceback" not in grown


#: 1,000 rows of 1,800 kana: a CSV of 5.4 MB, more than the kernel's buffers hold for a client that does not read
LARGE_CSV = (
    "/data/strategy.csv?sql="
    + quote("with recursive r(i) as (select 1 union all select i + 1 from r limit 1000) select i, replace(hex(zeroblob(900)), '0', 'あ') as t from r")
)  # fmt: skip


@pytest.mark.slow
def test_clients_that_stop_reading_hold_no_sql_slot_and_are_cut_off(built, tmp_path):
    proc, base, log = start_server(built.db, tmp_path / "server.log", "--send-timeout", "1")
    stalled: list[socket.socket] = []
    try:
        for n in (2, 3):  # two visitors, as many as the SQL slots
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.bind((f"127.0.0.{n}", 0))
            s.connect(address(base))
            s.sendall(f"GET {LARGE_CSV} HTTP/1.1\r\nHost: x\r\nAccept-Encoding: identity\r\n\r\n".encode())
            stalled.append(s)
        for s in stalled:  # the server has begun to answer each (its query is running or done)
            s.settimeout(10)
            assert s.recv(1, socket.MSG_PEEK)
        with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.4"), timeout=30) as client:
            others = [
                client.get(base + "/data/strategy.json?sql=select+count(*)+from+kpis").status_code for _ in range(5)
            ]
        assert others == [200] * 5
        # past the send timeout (1 s) the server closes both, with most of the answer unsent
        until(lambda: connections_from(base.pid, stalled) == 0)
        for s in stalled:
            s.settimeout(5)
            received = b""
            with contextlib.suppress(ConnectionResetError):
                while chunk := s.recv(1 << 20):
                    received += chunk
            assert 0 < len(received) < 5_000_000
    finally:
        for s in stalled:
            s.close()
        stop_server(proc, log)


@pytest.mark.slow
def test_many_overruns_leave_processes_threads_and_descriptors_flat(built, tmp_path):
    """Queries stopped at the CPU and memory limits: each worker is killed and replaced, and nothing is left over."""
    overruns = [
        "with recursive r(i) as (select 1 union all select i + 1 from r limit 1000) select sum(a like ('%'||b)) "
        "from r, (select replace(hex(zeroblob(40000)),'0','a') a, replace(hex(zeroblob(499)),'0','a')||'b' b)",
        "with recursive r(i) as (select 1 union all select i + 1 from r limit 3000) "
        "select length(b) from (select zeroblob(100000) as b from r order by b) limit 1",
    ]
    proc, base, log = start_server(built.db, tmp_path / "server.log")
    seen = []
    try:
        for n in range(8):
            r = httpx.get(base + "/data/strategy.json", params={"sql": overruns[n % 2]}, timeout=30)
            assert r.status_code == 400 and "上限" in r.json()["error"]
            workers_settled(base.pid)  # the killed worker's replacement is running
            seen.append((*counts(base.pid), len(child_processes(base.pid))))
        assert httpx.get(base + "/data/strategy.json?sql=select+1", timeout=30).status_code == 200

        # the last killed worker is reaped, its pipes are closed and its watcher thread ends
        def settled():
            now = (*counts(base.pid), len(child_processes(base.pid)))
            return now if now[1] <= seen[0][1] + 2 and now[0] <= seen[0][0] + 1 and now[3] == 3 else None

        seen.append(until(settled))
    finally:
        stop_server(proc, log)
    threads, fds, deleted, workers = zip(*seen, strict=True)
    # flat: at most one worker's pipes and watcher thread in flux at a time, and none left at the end
    assert max(threads) <= threads[0] + 2 and threads[-1] <= threads[0] + 1, threads
    assert max(fds) <= fds[0] + 6 and fds[-1] <= fds[0] + 2, fds
    # a killed worker may not be reaped yet when a sample is taken on a busy machine, but none is left behind
    assert max(workers) <= 4 and workers[-1] == 3, workers
    text = base.log.read_text(errors="replace")
    assert "Traceback" not in text and "Unknown child process" not in text, text[-2000:]
