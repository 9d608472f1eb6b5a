"""The README's production setup, run for real: Debian's nginx in front of two `portal serve` replicas.

The nginx configuration is taken from the README as it is written; only the
ports, the folders (a build of the test's own, rendered for the public
origin), the header timeout (2 s instead of 10 s, to keep the test short) and
one test header naming the upstream are changed.  One more proxy, for the
slow-query test, shortens the SQL location's read timeout below the time a
query may run, to see what the proxy does when an answer comes too late.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from functools import partial
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from portal import paths
from portal.pipeline.build import SITE, build
from portal.render import render_site
from portal.site import URLS

from .conftest import free_port, start_server, stop_server

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REQUIRED = os.environ.get("PORTAL_REQUIRE_NGINX") == "1"
PUBLIC = "opendata.example.jp"
SLOW_SQL = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"
#: a query the portal stops at its 2 s limit (seconds of LIKE between two of SQLite's time checks)
SLOWEST_SQL = (
    "with recursive r(i) as (select 1 union all select i + 1 from r limit 1000) select sum(a like ('%'||b)) "
    "from r, (select replace(hex(zeroblob(40000)),'0','a') a, replace(hex(zeroblob(499)),'0','a')||'b' b)"
)
UPSTREAM = r"server 127\.0\.0\.1:(\d+)\b"
#: a page rendered by a replica, not prebuilt (a query combination no page links to)
LIVE = "/kpis/?v=1&goal=2"
#: the folders the README's configuration names: the checkout's db/current and the static files' parent
README_BUILD = "/srv/sunagawa-portal/db/current"
README_STATIC = "/srv/sunagawa-portal/portal/web"


def readme_nginx() -> str:
    text = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```nginx\n(.*?)```", text, re.S)
    assert len(blocks) == 1, "the README has one nginx configuration"
    return blocks[0]


def test_the_readme_names_the_same_ports_and_origin_in_its_commands_and_its_nginx_configuration():
    text = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    conf = readme_nginx()
    for port in re.findall(UPSTREAM, conf):
        assert f"portal serve --port {port} --forwarded-allow-ips 127.0.0.1" in text
    assert f"server_name {PUBLIC};" in conf and f"PORTAL_BASE_URL=https://{PUBLIC}" in text


@pytest.fixture(scope="module")
def public_build(tmp_path_factory):
    """The real document built with its pages rendered for the public origin, as the README's `portal build` does."""
    root = tmp_path_factory.mktemp("public")
    package = root / "datapackage"
    (package / "sources").mkdir(parents=True)
    source = package / "sources" / paths.SOURCE_NAME
    shutil.copyfile(paths.SOURCE, source)
    result = build(
        source, root / "db" / "strategy.db", package, render=partial(render_site, base_url=f"http://{PUBLIC}")
    )
    result.source = source
    return result


def run_proxy(built, tmp: Path, sql_read_timeout: str | None = None):
    """nginx on a free port with the README's configuration, in front of two replicas of one build.

    Yields the proxy's address, the replicas' addresses, and the replicas' processes (to stop them).
    """
    if not Path(NGINX).exists():
        if REQUIRED:
            pytest.fail(f"nginx がありません（{NGINX}）: apt-get install nginx")
        pytest.skip(f"nginx がないため、本番構成のテストを実行しません（{NGINX}）: apt-get install nginx")
    os.environ["PORTAL_BASE_URL"] = f"http://{PUBLIC}"
    try:
        replicas = [
            start_server(built.db, tmp / f"replica{n}.log", "--forwarded-allow-ips", "127.0.0.1") for n in (1, 2)
        ]
    finally:
        del os.environ["PORTAL_BASE_URL"]
    conf = readme_nginx()
    ports = re.findall(UPSTREAM, conf)
    for (_, base, _), port in zip(replicas, ports, strict=True):
        conf = re.sub(rf"127\.0\.0\.1:{port}\b", f"127.0.0.1:{base.rsplit(':', 1)[1]}", conf)
    listen = free_port()
    conf = conf.replace("listen 80 default_server;", f"listen 127.0.0.1:{listen} default_server;")
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    conf = conf.replace("client_header_timeout 10s;", "client_header_timeout 2s;")
    assert README_BUILD in conf and README_STATIC in conf
    conf = conf.replace(README_BUILD, str(built.db.parent / "current")).replace(README_STATIC, str(paths.STATIC.parent))
    for location in ("location @portal {", "location /data/ {"):
        assert location in conf, location
        conf = conf.replace(location, location + "\n        add_header X-Test-Upstream $upstream_addr always;")
    if sql_read_timeout:
        sql_location = conf[conf.index("location /data/ {") :]
        assert "proxy_read_timeout" in sql_location
        conf = conf.replace(
            sql_location,
            re.sub(r"proxy_read_timeout \S+;", f"proxy_read_timeout {sql_read_timeout};", sql_location, count=1),
        )
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp / sub).mkdir()
        (tmp / sub).chmod(0o777)
    # nginx's workers read the build from disk: as root, they run as root (pytest's folders are the user's alone)
    user = "user root;" if os.geteuid() == 0 else ""
    main = f"""
{user}
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 512; }}
http {{
    # as Debian's /etc/nginx/nginx.conf, which includes the README's file
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
{conf}
}}
"""
    (tmp / "nginx.conf").write_text(main, encoding="utf-8")
    nginx = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-g", "daemon off;"])
    base = f"http://127.0.0.1:{listen}"
    for _ in range(50):
        try:
            httpx.get(base + "/", headers={"Host": PUBLIC}, timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    try:
        yield base, [r[1] for r in replicas], replicas
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        for proc, _, log in replicas:
            if proc.poll() is None:
                stop_server(proc, log)


@pytest.fixture(scope="module")
def proxy(public_build, tmp_path_factory):
    for base, replicas, _ in run_proxy(public_build, tmp_path_factory.mktemp("nginx")):
        yield base, replicas


@pytest.fixture(scope="module")
def impatient_proxy(public_build, tmp_path_factory):
    """The README's proxy, whose SQL location gives up after 1 s: a query outlives its budget there."""
    for base, replicas, _ in run_proxy(public_build, tmp_path_factory.mktemp("nginx-impatient"), sql_read_timeout="1s"):
        yield base, replicas


def client_from(address: str) -> httpx.Client:
    """A client whose requests come from another loopback address, as another visitor's would."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), headers={"Host": PUBLIC}, timeout=30)


def test_both_replicas_answer_what_is_rendered_live_with_the_same_etag(proxy):
    base, replicas = proxy
    for path in (
        "/kpis/?v=1&goal=2",
        "/data/strategy/kpis",
        "/data/strategy/kpis.json?_size=3",
        "/downloads/dcat.jsonld",
    ):
        direct = [httpx.get(r + path, timeout=30) for r in replicas]
        assert direct[0].headers["etag"] == direct[1].headers["etag"], path
        # the same content; Datasette's JSON also says how long its query took
        same = [re.sub(rb'"query_ms": [0-9.e-]+', b"", r.content) for r in direct]
        assert same[0] == same[1], path
        upstreams, etags = set(), set()
        for n in range(2, 12):
            with client_from(f"127.0.0.{n}") as client:
                r = client.get(base + path)
                assert r.status_code == 200, path
                upstreams.add(r.headers["x-test-upstream"])
                etags.add(r.headers["etag"])
                again = client.get(base + path, headers={"If-None-Match": r.headers["etag"]})
                assert again.status_code == 304, path
        assert len(upstreams) == 2, (path, upstreams)
        assert etags == {direct[0].headers["etag"]}, path


def test_nginx_serves_the_prebuilt_pages_static_files_and_downloads_itself_with_the_portals_headers(
    proxy, public_build
):
    base, replicas = proxy
    folder = public_build.build_dir / SITE
    urls = json.loads((folder / URLS).read_text(encoding="utf-8"))["pages"]
    with client_from("127.0.0.2") as client:
        for path in ("/", "/goals/3?v=1", "/kpis/compare?status=added", "/downloads/", "/static/portal.css",
                     "/downloads/kpis.csv", "/downloads/kpis.excel.csv", "/downloads/kpi_comparison.xlsx"):  # fmt: skip
            for encoding in ("identity", "gzip"):
                r = client.get(base + path, headers={"accept-encoding": encoding})
                live = httpx.get(replicas[0] + path, headers={"accept-encoding": encoding}, timeout=30)
                assert r.status_code == live.status_code == 200, path
                assert "x-test-upstream" not in r.headers, path  # not proxied
                assert r.content == live.content, path
                for name in ("content-type", "content-disposition", "cache-control", "content-security-policy",
                             "x-content-type-options", "x-frame-options", "referrer-policy",
                             "cross-origin-opener-policy", "permissions-policy"):  # fmt: skip
                    if path.startswith("/static/") and name == "content-type":
                        continue  # nginx names CSS without its charset; the file is ASCII-compatible UTF-8 either way
                    assert r.headers.get(name) == live.headers.get(name), (path, name)
                if path in urls:
                    assert (r.headers.get("content-encoding") == "gzip") == (encoding == "gzip"), path
                    assert "Accept-Encoding" in r.headers["vary"], path
                again = client.get(
                    base + path, headers={"If-None-Match": r.headers["etag"], "accept-encoding": encoding}
                )
                assert again.status_code == 304, path
        # the folder of the build is not a place to browse: only the naming of the pages reaches it
        for path in ("/site/urls.json", "/site/page/.html", "/downloads/files.json", "/index", "/goals/3/"):
            r = client.get(base + path)
            assert r.status_code == 404 and r.headers.get("x-test-upstream"), path


def test_a_slow_client_is_cut_off_at_the_proxy(proxy):
    base, _ = proxy
    host, port = base.rsplit("//", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as slow:
        slow.sendall(f"GET / HTTP/1.1\r\nHost: {PUBLIC}\r\n".encode())  # and never the blank line
        # the proxy answers others meanwhile, and closes the slow connection itself (the read would time out)
        assert httpx.get(base + "/", headers={"Host": PUBLIC}, timeout=5).status_code == 200
        answer = b""
        while chunk := slow.recv(4096):
            answer += chunk
    assert answer in (b"",) or answer.startswith(b"HTTP/1.1 408")


def test_host_probes_through_the_proxy(proxy):
    base, _ = proxy
    with pytest.raises(httpx.RemoteProtocolError):  # another host name: closed without an answer (444)
        httpx.get(base + "/downloads/dcat.jsonld", headers={"Host": "evil.example"}, timeout=10)
    for path in ("/downloads/dcat.jsonld", "/downloads/", "/data/strategy/kpis.json?_size=2"):
        r = httpx.get(base + path, headers={"Host": PUBLIC, "X-Forwarded-Host": "evil.example"}, timeout=10)
        assert r.status_code == 200 and "evil.example" not in r.text
        assert f"http://{PUBLIC}/" in r.text


def test_the_sql_gate_counts_visitors_not_the_proxy(proxy):
    """One visitor runs a slow query: its second waits its turn, its third is turned away; another visitor on the
    same replica is answered meanwhile."""
    base, _ = proxy
    a = "127.0.0.2"
    with client_from(a) as client:
        upstream = client.get(base + LIVE).headers["x-test-upstream"]
    # another visitor whose requests go to the same replica
    b = next(
        addr
        for addr in (f"127.0.0.{n}" for n in range(3, 60))
        if client_from(addr).get(base + LIVE).headers["x-test-upstream"] == upstream
    )
    results: dict[str, int] = {}

    def ask(key: str, address: str, sql: str) -> None:
        with client_from(address) as client:
            results[key] = client.get(base + "/data/strategy.json?sql=" + quote(sql)).status_code

    first = threading.Thread(target=ask, args=("a1", a, SLOW_SQL))
    first.start()
    time.sleep(0.3)
    more = [threading.Thread(target=ask, args=(key, a, f"select {n}")) for n, key in enumerate(("a2", "a3"))]
    for t in more:
        t.start()
    time.sleep(0.1)
    ask("b", b, "select 2")
    for t in [first, *more]:
        t.join()
    assert results["a1"] == 400 and results["b"] == 200, results
    assert sorted([results["a2"], results["a3"]]) == [200, 429], results


def test_slow_queries_past_the_proxys_timeout_leave_pages_and_files_answering(impatient_proxy):
    """Two visitors' queries outlive the SQL location's read timeout: each is answered 504 by the one replica it
    went to (never sent again to the other), and meanwhile every page, static file and download is answered 200.

    With a single location that retried on timeout and marked a replica down after one failure, this made every
    request 502 (「no live upstreams」) for ten seconds.
    """
    base, _ = impatient_proxy
    slow: dict[str, httpx.Response] = {}

    def ask(address: str) -> None:
        with client_from(address) as client:
            slow[address] = client.get(base + "/data/strategy.json?sql=" + quote(SLOWEST_SQL))

    askers = [threading.Thread(target=ask, args=(f"127.0.0.{n}",)) for n in (5, 6)]
    for t in askers:
        t.start()
    answers: list[tuple[str, int]] = []
    with client_from("127.0.0.7") as client:
        while any(t.is_alive() for t in askers) or len(answers) < 30:
            for path in ("/static/portal.css", "/goals/3", "/downloads/kpis.csv", "/data/strategy/kpis.json?_size=1"):
                answers.append((path, client.get(base + path).status_code))
            time.sleep(0.05)
        for _ in range(10):  # and after the timeouts, nothing is marked down
            for path in ("/static/portal.css", "/"):
                answers.append((path, client.get(base + path).status_code))
    for t in askers:
        t.join()
    assert [r.status_code for r in slow.values()] == [504, 504]
    for r in slow.values():
        assert "," not in r.headers["x-test-upstream"], r.headers["x-test-upstream"]  # one replica tried
    assert {status for _, status in answers} == {200}, [a for a in answers if a[1] != 200][:10]


@pytest.fixture(scope="module")
def lone_proxy(public_build, tmp_path_factory):
    """The README's proxy whose replicas the test stops: nginx alone in front of the build on disk."""
    yield from run_proxy(public_build, tmp_path_factory.mktemp("nginx-alone"))


def test_with_both_replicas_stopped_every_prebuilt_page_reads_and_search_and_sql_say_they_are_unavailable(
    lone_proxy, public_build
):
    base, _, replicas = lone_proxy
    for proc, _, log in replicas:
        stop_server(proc, log)
    folder = public_build.build_dir / SITE
    urls = json.loads((folder / URLS).read_text(encoding="utf-8"))["pages"]
    with client_from("127.0.0.2") as client:
        for url, entry in urls.items():
            r = client.get(base + url)
            assert r.status_code == 200, url
            assert r.content == (folder / entry["file"]).read_bytes(), url
        for path in ("/static/portal.css", "/downloads/kpis.csv", "/downloads/strategy-datapackage.zip"):
            assert client.get(base + path).status_code == 200, path
        for path in ("/search?q=%E4%BA%BA%E5%8F%A3", "/data/strategy/kpis", "/data/strategy.json?sql=select+1", LIVE):
            r = client.get(base + path)
            assert r.status_code == 503, path
            assert r.headers["content-type"] == "text/html; charset=utf-8", path
            assert "検索と SQL" in r.text and "使えません" in r.text, path
            assert r.headers["cache-control"] == "no-store", path


def test_a_rebuild_while_nginx_serves_gives_no_mixed_or_missing_page(lone_proxy, public_build):
    """Pages are read through nginx while the build is published again: each answer is a whole page of one build."""
    base = lone_proxy[0]
    db = public_build.db
    folder = public_build.db.parent / "current" / SITE
    urls = json.loads((folder / URLS).read_text(encoding="utf-8"))["pages"]
    paths_ = ["/", "/goals/3?v=1", "/kpis/", "/kpis/compare?status=added", "/changes/", "/downloads/", "/about"]
    published = {p: {(folder / urls[p]["file"]).read_bytes()} for p in paths_}
    answers: list[tuple[str, str, int, bytes]] = []
    done = threading.Event()

    def read() -> None:
        with client_from("127.0.0.3") as client:
            while not done.is_set() or len(answers) < 200:
                for p in paths_:
                    for encoding in ("identity", "gzip"):
                        r = client.get(base + p, headers={"accept-encoding": encoding})
                        answers.append((p, encoding, r.status_code, r.content))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(2):
            new = build(public_build.source, db, db.parent.parent / "datapackage",
                        render=partial(render_site, base_url=f"http://{PUBLIC}"))  # fmt: skip
            for p in paths_:
                published[p].add((new.build_dir / SITE / urls[p]["file"]).read_bytes())
    finally:
        done.set()
        reader.join()
    assert len(answers) >= 200
    assert len(published["/downloads/"]) > 1  # the builds differ (their time), so a mix would show
    for p, encoding, status, body in answers:
        assert status == 200, (p, encoding)
        assert body in published[p], (p, encoding)  # httpx decompresses the gzip copy
