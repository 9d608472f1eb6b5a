"""A public portal that allows SQL from the web: read-only, bounded, escaped, and never a 500 or a traceback.

Every case runs against the real `portal serve` on loopback.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest

from .conftest import child_processes, workers_settled

SQL_URL = "/data/strategy.json?sql="


def sql(base, query, **params):
    extra = "".join(f"&{k}={quote(v)}" for k, v in params.items())
    return httpx.get(base + SQL_URL + quote(query) + extra, timeout=30)


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))


@pytest.fixture(scope="module")
def db_digest(built):
    before = hashlib.sha256(built.db.read_bytes()).hexdigest()
    yield before
    assert hashlib.sha256(built.db.read_bytes()).hexdigest() == before, "the database file changed"


@pytest.mark.parametrize(
    "query",
    [
        "ATTACH DATABASE '/tmp/x.db' AS x",
        "SELECT load_extension('x')",
        "SELECT 1; DROP TABLE kpis",
        "PRAGMA writable_schema=1",
        "DELETE FROM kpis",
        "UPDATE kpis SET name = 'x'",
        "CREATE TABLE x (a)",
        "SELECT * FROM pragma_writable_schema",
        "VACUUM INTO '/tmp/copy.db'",
    ],
)
def test_datasette_is_read_only(live_server, db_digest, query):
    r = sql(live_server, query)
    assert 400 <= r.status_code < 500, (query, r.status_code)
    assert httpx.get(live_server + "/data/strategy/kpis.json?_size=1", timeout=30).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c",
        "select count(*) from related_projects a, related_projects b, related_projects c, related_projects d, related_projects e",
    ],
)
def test_expensive_queries_stop_at_the_time_limit(live_server, query):
    """Stopped at the 1 s limit, and asking for more time does not get more (the answer names the same limit)."""
    before = cpu_seconds(live_server.pid)
    for extra in ({}, {"_timelimit": "99999"}):
        r = sql(live_server, query, **extra)
        assert r.status_code == 400 and "時間の上限（1 秒）" in r.json()["error"], (extra, r.text[:300])
    assert cpu_seconds(live_server.pid) - before < 4  # two queries of an endless count, stopped at 1 s each


@pytest.mark.parametrize(
    "path",
    [
        "/data/strategy.json?sql=select+1&_timelimit=abc",
        "/data/strategy/kpis?_timelimit=abc",
        "/data/strategy/kpis?_size=abc",
        "/data/strategy/kpis.json?_size=abc",
        "/data/strategy/kpis?_size=100000",
        "/data/strategy/kpis?_size=-1",
        "/data/strategy/kpis?_sort=nope",
        "/data/strategy/kpis.json?_sort_desc=nope",
        "/data/strategy/kpis?_facet=nope",
        "/data/strategy/kpis?_through=nope",
        "/data/strategy/kpis?_col=nope",
        "/data/strategy/nope",
        "/data/nope",
        "/data/strategy/kpis/999999",
        "/data/strategy/kpis/abc",
    ],
)
def test_bad_parameters_are_4xx_never_500(live_server, path):
    r = httpx.get(live_server + path, timeout=30)
    assert 400 <= r.status_code < 500, (path, r.status_code)
    if "text/html" in r.headers["content-type"]:
        assert '<html lang="ja">' in r.text and ("リクエストに誤りがあります" in r.text or "見つかりません" in r.text)
    assert "Traceback" not in r.text


def test_a_huge_string_is_refused_before_it_is_built_and_memory_stays_small(live_server):
    before = rss_kb(live_server.pid)
    cpu = cpu_seconds(live_server.pid)
    r = sql(live_server, "select length(hex(randomblob(200000000)))")
    assert r.status_code == 400 and "too big" in r.json()["error"]
    assert cpu_seconds(live_server.pid) - cpu < 1  # 200 MB of random bytes would take seconds to make
    for query in (
        "select length(zeroblob(500000000))",
        "select length(printf('%.*c', 300000000, 'x'))",
        "select length(group_concat(hex(randomblob(100000)))) from related_projects a, related_projects b",
    ):
        r = sql(live_server, query)
        # refused, or answered without building the string (printf gives NULL past the length limit)
        assert r.status_code == 400 or (r.status_code == 200 and r.json()["rows"] == [[None]]), (query, r.text[:200])
    assert rss_kb(live_server.pid) - before < 100_000  # kB


def test_overload_keeps_pages_answering(live_server):
    """Four clients loop an expensive query for 6 s; every page asked for meanwhile is answered, none fails.

    How fast they are answered is measured by `make bench` (「過負荷中」), not asserted here: a time limit in a
    test depends on what else the machine is doing.
    """
    expensive = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"
    stop = time.monotonic() + 6
    outcomes: list[int] = []
    running = threading.Barrier(5)

    def hammer():
        with httpx.Client(timeout=30) as c:
            running.wait()
            while time.monotonic() < stop:
                outcomes.append(c.get(live_server + SQL_URL + quote(expensive)).status_code)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    running.wait()
    # the Datasette page is asked for as it is (kept per build) and with a filter never asked before (rendered afresh)
    answers: dict[str, Counter] = {
        p: Counter() for p in ("/goals/3", "/data/strategy/kpis", "/data/strategy/kpis?id__gt=-N")
    }
    n = 0
    with httpx.Client(timeout=30) as c:
        while time.monotonic() < stop:
            for path, seen in answers.items():
                n += 1
                seen[c.get(live_server + path.replace("N", str(n))).status_code] += 1
    for t in threads:
        t.join()
    # every page asked for while the expensive queries ran was answered, and answered 200
    assert all(set(seen) == {200} for seen in answers.values()), answers
    # the expensive queries were answered: run (400 at the time limit) or turned away (429), never a 5xx
    assert outcomes and set(outcomes) <= {400, 429}


def test_no_javascript_urls_in_links(live_server):
    for path in ["/", "/changes/", "/downloads/", "/data/strategy/kpis", "/data/strategy/changes"]:
        assert 'href="javascript:' not in httpx.get(live_server + path, timeout=30).text.lower()
    # a value of a visitor's query that looks like a link is shown as text, never made a link
    html = httpx.get(
        live_server + "/data/strategy", params={"sql": "select 'javascript:alert(1)' as url"}, timeout=30
    ).text
    assert 'href="javascript:' not in html.lower()


def raw_get(base: str, path: str, headers: dict | None = None):
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.putrequest("GET", path, skip_accept_encoding=True, skip_host=bool(headers and "Host" in headers))
    for k, v in (headers or {}).items():
        conn.putheader(k, v)
    conn.endheaders()
    r = conn.getresponse()
    r.read()
    conn.close()
    return r


@pytest.mark.parametrize(
    "path",
    [
        "//example.com/",
        "//example.com/%2e%2e",
        "/data//example.com/",
        "/data//example.com",
        "/data/strategy/kpis/",
        "/goals",
        "/data",
        "/data/%2F%2Fexample.com/",
    ],
)
def test_no_open_redirect(live_server, path):
    r = raw_get(live_server, path)
    location = r.getheader("location")
    if location:
        target = urlsplit(location)
        assert not target.netloc or target.netloc == urlsplit(live_server).netloc, (path, location)
        assert not location.startswith("//"), (path, location)


SECURITY_HEADERS = ["content-security-policy", "x-content-type-options", "referrer-policy", "x-frame-options"]


@pytest.mark.parametrize(
    "path, method",
    [
        ("/", "GET"),
        ("/kpis/abc", "GET"),
        ("/goals/1?v=9", "GET"),
        ("/downloads/kpis.csv", "GET"),
        ("/downloads/nope", "GET"),
        ("/data/strategy/kpis", "GET"),
        ("/data/strategy/kpis.json", "GET"),
        ("/data/strategy/nope", "GET"),
        ("/data/strategy/kpis", "POST"),
        ("/", "POST"),
        ("/static/portal.css", "GET"),
        ("/data/-/versions", "GET"),
        ("/data/strategy/kpis?_sort=nope", "GET"),
    ],
)
def test_security_headers_on_every_response(live_server, path, method):
    r = httpx.request(method, live_server + path, timeout=30)
    for name in SECURITY_HEADERS:
        assert name in r.headers, (path, name)
    policy = r.headers["content-security-policy"]
    script_src = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    assert "frame-ancestors 'none'" in policy
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" not in r.headers  # only behind TLS (PORTAL_HSTS=1)
    assert r.headers.get("server") is None


@pytest.mark.parametrize(
    "path",
    [
        "/data/strategy/kpis?_trace=1",
        "/data/strategy/kpis.json?_trace=1",
        "/data/strategy/kpis?_context=1",
        "/data/strategy.json?sql=select+1&_trace=1",
    ],
)
def test_debug_parameters_give_nothing(live_server, path):
    r = httpx.get(live_server + path, timeout=30)
    assert r.status_code == 200
    assert "_trace" not in (r.json() if path.split("?")[0].endswith(".json") else {})
    assert "traceback" not in r.text.lower() and '"context"' not in r.text and "sql_time_limit_ms" not in r.text


# -- A visitor's SQL under the operating system's limits (portal/datasette/adhoc.py, sqlworker.py) ----------------

#: the attacks first reported: one call of LIKE or GLOB ran 56 s, instr or replace 5 s, between two of SQLite's checks
ONE_LONG_CALL = {
    "like": "select a like ('%'||b) from (select replace(hex(zeroblob(499000)),'0','a') a, replace(hex(zeroblob(24000)),'0','a')||'b' b)",
    "glob": "select a glob ('*'||b) from (select replace(hex(zeroblob(499000)),'0','a') a, replace(hex(zeroblob(24000)),'0','a')||'b' b)",
    "instr": "select instr(a, b) from (select replace(hex(zeroblob(499000)),'0','a') a, replace(hex(zeroblob(240000)),'0','a')||'b' b)",
    "replace": "select length(replace(a, b, 'x')) from (select replace(hex(zeroblob(499000)),'0','a') a, replace(hex(zeroblob(240000)),'0','a')||'b' b)",
}  # fmt: skip


def many_calls(call: str, times: int = 1) -> str:
    """`call` (over a = 80,000 × a and b = a shorter run of a's ending in b) on 1,000 rows, `times` in each row:
    within the length limits, but seconds of work between two of SQLite's time checks."""
    b = (
        "replace(hex(zeroblob(499)),'0','a')||'b'"
        if "like" in call or "glob" in call
        else "replace(hex(zeroblob(20000)),'0','a')||'b'"
    )
    calls = " + ".join([call] * times)
    return (
        "with recursive r(i) as (select 1 union all select i + 1 from r limit 1000) "
        f"select sum({calls}) from r, (select replace(hex(zeroblob(40000)),'0','a') a, {b} b)"
    )  # fmt: skip


HEAVY = {
    "like": many_calls("(a like ('%'||b))"),
    "glob": many_calls("(a glob ('*'||b))"),
    "instr": many_calls("instr(a, b)", 10),
    "replace": many_calls("length(replace(a, b, 'x'))", 10),
}


def cpu_seconds(pid: int) -> float:
    """CPU time of a process, its live children and the children it has waited for."""

    def own(p: int, reaped: bool) -> float:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if reaped else 0)
        return ticks / os.sysconf("SC_CLK_TCK")

    total = own(pid, True)
    for child in child_processes(pid):
        with contextlib.suppress(FileNotFoundError):
            total += own(child, False)
    return total


@pytest.mark.parametrize("name", sorted(ONE_LONG_CALL))
def test_the_long_calls_first_reported_are_refused_at_once(live_server, name):
    before = cpu_seconds(live_server.pid)
    r = sql(live_server, ONE_LONG_CALL[name])
    assert r.status_code == 400 and r.json()["ok"] is False
    assert "too big" in r.json()["error"]  # the length limit: the data's longest value is 4 kB
    assert cpu_seconds(live_server.pid) - before < 1.5


@pytest.mark.parametrize("name", sorted(HEAVY))
def test_work_between_sqlites_time_checks_is_stopped_by_the_worker_limits(live_server, name):
    """Seconds of LIKE, GLOB, instr or replace between two of SQLite's time checks: the query is stopped at the
    worker's CPU or wall-clock limit (2 s) and answered with a Japanese 400 naming the limit.  Which limit comes
    first depends on the machine's load: a worker killed at its CPU limit is replaced; one whose time check came
    first goes on serving.  Either way the pool is whole again and the next query is answered."""
    workers = workers_settled(live_server.pid)
    before = cpu_seconds(live_server.pid)
    r = sql(live_server, HEAVY[name])
    used = cpu_seconds(live_server.pid) - before
    assert r.status_code == 400
    assert "処理時間の上限（2 秒）" in r.json()["error"], r.json()["error"]
    assert used < 4.5, used  # the query would use a minute of CPU if let run
    after = workers_settled(live_server.pid)
    assert len(workers) == len(after) == 3, (workers, after)
    assert len(workers - after) <= 1, (workers, after)  # at most the one that ran it was replaced
    assert sql(live_server, "select count(*) from kpis").json()["rows"][0][0] > 0


def test_two_attackers_do_not_keep_other_visitors_sql_away(live_server):
    """Two visitors run the heavy query at once (both slots); a third visitor's SQL waits its turn, never 429."""
    answers: dict[str, int] = {}

    def attack(address: str) -> None:
        transport = httpx.HTTPTransport(local_address=address)
        with httpx.Client(transport=transport, timeout=60) as client:
            answers[address] = client.get(live_server + SQL_URL + quote(HEAVY["like"])).status_code

    attackers = [threading.Thread(target=attack, args=(f"127.0.0.{n}",)) for n in (2, 3)]
    for t in attackers:
        t.start()
    time.sleep(0.5)
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.4"), timeout=60) as client:
        other = client.get(live_server + SQL_URL + quote("select count(*) from kpis"))
    for t in attackers:
        t.join()
    assert answers == {"127.0.0.2": 400, "127.0.0.3": 400}
    assert other.status_code == 200 and other.json()["rows"][0][0] > 0


def test_a_query_that_needs_too_much_memory_is_stopped(live_server):
    """The sort outgrows the worker's memory limit: a Japanese 400, and the worker that ran it is replaced."""
    workers = workers_settled(live_server.pid)
    before = rss_kb(live_server.pid)
    r = sql(
        live_server,
        "with recursive r(i) as (select 1 union all select i + 1 from r limit 3000) "
        "select length(b) from (select zeroblob(100000) as b from r order by b) limit 1",
    )
    assert r.status_code == 400 and "メモリーの上限" in r.json()["error"], r.text[:300]
    assert rss_kb(live_server.pid) - before < 50_000  # kB: the sort ran in the worker, and ended there
    after = workers_settled(live_server.pid, replacing=workers)
    assert len(after) == 3 and len(workers - after) == 1, (workers, after)


def test_blobs_come_back_as_their_size_and_memory_stays_flat(live_server):
    """200 blobs of 100 kB, as JSON: each is its size (not 600 kB of \\u0000), and the server does not grow."""
    before = rss_kb(live_server.pid)
    r = sql(
        live_server,
        "with recursive r(i) as (select 1 union all select i + 1 from r limit 200) select zeroblob(100000) as b from r",
    )
    assert r.status_code == 200
    assert r.json()["rows"][0] == [{"$blob": True, "bytes": 100000}] and len(r.json()["rows"]) == 200
    assert len(r.content) < 50_000
    html = httpx.get(live_server + "/data/strategy", params={"sql": "select zeroblob(1000) as b"}, timeout=30).text
    assert "バイナリ 1,000 バイト" in html
    assert rss_kb(live_server.pid) - before < 30_000  # kB


@pytest.mark.parametrize("fmt", ["json", "csv", ""])
def test_a_result_too_large_is_refused_before_it_is_rendered(live_server, fmt):
    before = rss_kb(live_server.pid)
    query = "with recursive r(i) as (select 1 union all select i + 1 from r limit 1000) select hex(zeroblob(60000)) as h from r"
    r = httpx.get(live_server + f"/data/strategy{'.' + fmt if fmt else ''}", params={"sql": query}, timeout=30)
    assert r.status_code == 400
    assert "結果が大きすぎます" in (r.json()["error"] if fmt == "json" else r.text)
    assert len(r.content) < 100_000
    assert rss_kb(live_server.pid) - before < 30_000  # kB


def test_the_fts3_tokenizer_address_is_not_given(live_server):
    r = sql(live_server, "select fts3_tokenizer('simple')")
    assert r.status_code == 400 and "not authorized" in r.json()["error"]
    assert "$base64" not in r.text
