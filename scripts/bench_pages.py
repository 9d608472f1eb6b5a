"""`make bench`, the pages: each kind of page through `portal serve` and through the README's nginx, in one run.

Every figure is a ratio to a static file (/static/portal.css) on the same
server, measured before and after each page (the mean of the two is its
baseline: the load of a shared machine drifts).  `portal serve` runs one worker with the public
origin the build's pages were rendered for, so it answers them from its
files; for comparison, one more `portal serve` with another origin renders
every page live, as every page was before the site was prebuilt; nginx runs the README's configuration (one worker process) with both
upstreams pointing at that server, and answers the pages from disk itself.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.request import Request, urlopen

from bench import free_port, start, stop, wrk

from portal import paths
from portal.paths import CURRENT, SITE
from portal.site import URLS

PAGES = [
    ("top", "トップ", "/"),
    ("goal", "基本目標", "/goals/3"),
    ("goal_v1", "基本目標（改訂前 ?v=1）", "/goals/3?v=1"),
    ("kpi_list", "KPI一覧", "/kpis/"),
    ("kpi", "KPI", "/kpis/3"),
    ("compare", "改訂前後の比較", "/kpis/compare"),
    ("changes", "変更点", "/changes/"),
    ("change", "変更点の一件", "/changes/1"),
    ("about", "戦略について", "/about"),
    ("glossary", "用語集", "/glossary"),
    ("downloads", "ダウンロード", "/downloads/"),
    ("dictionary", "データ辞書", "/downloads/dictionary"),
    ("api", "API", "/downloads/api"),
]
STATIC = "/static/portal.css"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PUBLIC = "opendata.example.jp"
#: as wrk asks by default (every page and the CSS sent whole), and as a browser asks (the pages' gzip copies;
#: portal serve compresses the CSS per request, the README's nginx sends it whole)
ENCODINGS = ("identity", "gzip")


def readme_nginx(upstream_port: int, listen: int) -> str:
    """The README's nginx configuration, on loopback ports, serving this checkout's build."""
    text = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    (conf,) = re.findall(r"```nginx\n(.*?)```", text, re.S)
    conf = re.sub(r"127\.0\.0\.1:\d+", f"127.0.0.1:{upstream_port}", conf)
    conf = conf.replace("listen 80 default_server;", f"listen 127.0.0.1:{free_port()} default_server;")
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    conf = conf.replace("/srv/sunagawa-portal/db/current", str(paths.DB.parent / CURRENT))
    return conf.replace("/srv/sunagawa-portal/portal/web", str(paths.STATIC.parent))


def start_nginx(upstream_port: int, tmp: Path) -> tuple[subprocess.Popen, str]:
    listen = free_port()
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp / sub).mkdir()
    user = "user root;" if os.geteuid() == 0 else ""
    (tmp / "nginx.conf").write_text(
        f"""{user}
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
{readme_nginx(upstream_port, listen)}
}}
""",
        encoding="utf-8",
    )
    proc = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-g", "daemon off;"])
    base = f"http://127.0.0.1:{listen}"
    for _ in range(50):
        try:
            urlopen(Request(base + STATIC, headers={"Host": PUBLIC}), timeout=1).read()
            return proc, base
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("nginx did not start: " + (tmp / "error.log").read_text(errors="replace"))


def measure(base: str, host: str | None, encoding: str) -> dict:
    """Each page between two runs of the static file: its ratio is to their mean (the load of a shared machine drifts)."""
    headers = {"Accept-Encoding": encoding, **({"Host": host} if host else {})}
    statics = [wrk(base + STATIC, headers=headers)]
    rows = {}
    for key, _, path in PAGES:
        rows[key] = wrk(base + path, headers=headers)
        statics.append(wrk(base + STATIC, headers=headers))
        static = (statics[-2]["requests_per_s"] + statics[-1]["requests_per_s"]) / 2
        rows[key]["ratio_to_static"] = round(rows[key]["requests_per_s"] / static, 3)
    rows["static_before"], rows["static_after"] = statics[0], statics[-1]
    rows["static_all"] = [r["requests_per_s"] for r in statics]
    return rows


def main() -> int:
    urls = json.loads((paths.DB.parent / CURRENT / SITE / URLS).read_text(encoding="utf-8"))
    results = {}
    # every page rendered live: a server whose origin (its own address) is not the one the pages were rendered for
    os.environ.pop("PORTAL_BASE_URL", None)
    proc, base = start(1, paths.DB)
    try:
        for _, _, path in PAGES:
            urlopen(base + path, timeout=30).read()
        results["live"] = {"identity": measure(base, None, "identity")}
    finally:
        stop(proc)
    os.environ["PORTAL_BASE_URL"] = urls["base_url"]  # the origin the prebuilt pages were rendered for
    proc, base = start(1, paths.DB)
    tmp = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
    nginx = None
    try:
        for _, _, path in PAGES:
            urlopen(base + path, timeout=30).read()
        results["portal_serve"] = {e: measure(base, None, e) for e in ENCODINGS}
        if Path(NGINX).exists():
            nginx, front = start_nginx(int(base.rsplit(":", 1)[1]), tmp)
            results["nginx"] = {e: measure(front, PUBLIC, e) for e in ENCODINGS}
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=10)
        stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    out = paths.ROOT / "bench" / "pages.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(report(results))
    print(f"\n→ {out}")
    return 0


def report(results: dict) -> str:
    servers = [(s, e) for s in results for e in results[s]]
    head = f"{'page':<28} {'path':<22}" + "".join(f" {f'{s} {e}':>20} {'÷static':>7}" for s, e in servers)
    lines = [head]
    for key, label, path in [
        ("static_before", "静的ファイル（前）", STATIC),
        *PAGES,
        ("static_after", "静的ファイル（後）", STATIC),
    ]:
        cells = ""
        for s, e in servers:
            row = results[s][e][key]
            ratio = row.get("ratio_to_static")
            cells += f" {row['requests_per_s']:>20.0f} {'' if ratio is None else f'{ratio:.2f}':>7}"
        lines.append(f"{label:<28} {path:<22}{cells}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
