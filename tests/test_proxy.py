"""The README's production setup, run for real: Debian's nginx in front of two `portal serve` replicas.

The nginx configuration is taken from the README as it is written; only the
ports, the header timeout (2 s instead of 10 s, to keep the test short) and
one test header naming the upstream are changed.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from portal import paths

from .conftest import free_port, start_server, stop_server

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REQUIRED = os.environ.get("PORTAL_REQUIRE_NGINX") == "1"
PUBLIC = "opendata.example.jp"
SLOW_SQL = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"


def readme_nginx() -> str:
    text = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```nginx\n(.*?)```", text, re.S)
    assert len(blocks) == 1, "the README has one nginx configuration"
    return blocks[0]


def test_the_readme_names_the_same_ports_and_origin_in_its_commands_and_its_nginx_configuration():
    text = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    conf = readme_nginx()
    for port in re.findall(r"server 127\.0\.0\.1:(\d+);", conf):
        assert f"portal serve --port {port} --forwarded-allow-ips 127.0.0.1" in text
    assert f"server_name {PUBLIC};" in conf and f"PORTAL_BASE_URL=https://{PUBLIC}" in text


@pytest.fixture(scope="module")
def proxy(built, tmp_path_factory):
    """nginx on a free port with the README's configuration, in front of two replicas of one build."""
    if not Path(NGINX).exists():
        if REQUIRED:
            pytest.fail(f"nginx がありません（{NGINX}）: apt-get install nginx")
        pytest.skip(f"nginx がないため、本番構成のテストを実行しません（{NGINX}）: apt-get install nginx")
    tmp = tmp_path_factory.mktemp("nginx")
    os.environ["PORTAL_BASE_URL"] = f"http://{PUBLIC}"
    try:
        replicas = [
            start_server(built.db, tmp / f"replica{n}.log", "--forwarded-allow-ips", "127.0.0.1") for n in (1, 2)
        ]
    finally:
        del os.environ["PORTAL_BASE_URL"]
    conf = readme_nginx()
    ports = re.findall(r"server 127\.0\.0\.1:(\d+);", conf)
    for (_, base, _), port in zip(replicas, ports, strict=True):
        conf = conf.replace(f"127.0.0.1:{port};", f"127.0.0.1:{base.rsplit(':', 1)[1]};")
    listen = free_port()
    conf = conf.replace("listen 80 default_server;", f"listen 127.0.0.1:{listen} default_server;")
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    conf = conf.replace("client_header_timeout 10s;", "client_header_timeout 2s;")
    conf = conf.replace("location / {", "location / {\n        add_header X-Test-Upstream $upstream_addr always;")
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp / sub).mkdir()
        (tmp / sub).chmod(0o777)
    main = f"""
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 512; }}
http {{
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
    yield base, [r[1] for r in replicas]
    nginx.terminate()
    nginx.wait(timeout=10)
    for proc, _, log in replicas:
        stop_server(proc, log)


def client_from(address: str) -> httpx.Client:
    """A client whose requests come from another loopback address, as another visitor's would."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), headers={"Host": PUBLIC}, timeout=30)


def test_both_replicas_answer_the_same_page_with_the_same_etag(proxy):
    base, replicas = proxy
    for path in (
        "/goals/3",
        "/kpis/",
        "/data/strategy/kpis",
        "/data/strategy/kpis.json?_size=3",
        "/downloads/kpis.csv",
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


def test_a_slow_client_is_cut_off_at_the_proxy(proxy):
    base, _ = proxy
    host, port = base.rsplit("//", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as slow:
        slow.sendall(f"GET / HTTP/1.1\r\nHost: {PUBLIC}\r\n".encode())  # and never the blank line
        started = time.monotonic()
        assert httpx.get(base + "/", headers={"Host": PUBLIC}, timeout=5).status_code == 200
        answer = b""
        while chunk := slow.recv(4096):
            answer += chunk
        waited = time.monotonic() - started
    assert 1.5 < waited < 6, waited
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
    base, _ = proxy
    a = "127.0.0.2"
    with client_from(a) as client:
        upstream = client.get(base + "/").headers["x-test-upstream"]
    # another visitor whose requests go to the same replica
    b = next(
        addr
        for addr in (f"127.0.0.{n}" for n in range(3, 60))
        if client_from(addr).get(base + "/").headers["x-test-upstream"] == upstream
    )
    results: dict[str, int] = {}

    def slow():
        with client_from(a) as client:
            results["a1"] = client.get(base + "/data/strategy.json?sql=" + quote(SLOW_SQL)).status_code

    worker = threading.Thread(target=slow)
    worker.start()
    time.sleep(0.3)
    with client_from(a) as client:
        results["a2"] = client.get(base + "/data/strategy.json?sql=" + quote("select 1")).status_code
    with client_from(b) as client:
        results["b"] = client.get(base + "/data/strategy.json?sql=" + quote("select 2")).status_code
    worker.join()
    assert results == {"a1": 400, "a2": 429, "b": 200}, results
