#!/usr/bin/env python3
"""`make bench`: the portal's speed and memory, measured on loopback with the production server.

Each scenario is loaded with wrk (Debian's package) for a fixed time at 1 and
2 workers; every figure is also given as a ratio to a static file measured in
the same run, so results from different machines can be compared.  Under
load, a page and a visitor's SQL are measured while four clients loop an
expensive query (「過負荷中」), and while four visitors each loop the worst
query of the attacks on the SQL surface (「攻撃中」).  The build is timed
against the time of only importing its libraries.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlsplit
from urllib.request import urlopen

from portal import paths

DURATION = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = 8
THREADS = 2
EXPENSIVE = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"
#: the worst query of the attacks on the SQL surface: seconds of LIKE between two of SQLite's time checks
#: (stopped by the worker's limits at 2 s; README 「セキュリティと運用」)
WORST = (
    "with recursive r(i) as (select 1 union all select i + 1 from r limit 1000) select sum(a like ('%'||b)) "
    "from r, (select replace(hex(zeroblob(40000)),'0','a') a, replace(hex(zeroblob(499)),'0','a')||'b' b)"
)
#: what a visitor asks while others attack
PLAIN_SQL = "select count(*) from kpis"

SCENARIOS = [
    ("static", "静的ファイル（基準）", "/static/portal.css"),
    ("goal", "Flask：基本目標のページ", "/goals/3"),
    ("kpi_list", "Flask：KPI一覧", "/kpis/"),
    ("compare", "Flask：改訂前後の指標の比較", "/kpis/compare"),
    ("feed", "Flask：変更点の Atom フィード", "/changes.atom"),
    ("rows", "Flask：ページの行の Excel用 CSV", "/downloads/rows/kpis.excel.csv?version_id=2"),
    ("ds_table", "Datasette：KPI の表（HTML）", "/data/strategy/kpis"),
    ("ds_table_fresh", "Datasette：KPI の表（毎回ちがう条件）", "/data/strategy/kpis?id__gt=-__N__"),
    ("ds_json", "Datasette：KPI の JSON", "/data/strategy/kpis.json?_shape=array"),
    ("csv", "ダウンロード：kpis.csv", "/downloads/kpis.csv"),
    ("xlsx", "ダウンロード：kpi_comparison.xlsx", "/downloads/kpi_comparison.xlsx"),
    ("zip", "ダウンロード：データパッケージ一式（zip）", "/downloads/strategy-datapackage.zip"),
]

#: pages whose size is reported as sent plainly and gzip-compressed
SIZES = ["/goals/3", "/kpis/", "/changes/", "/downloads/dictionary", "/data/strategy/kpis", "/data/strategy/kpis.json",
         "/static/portal.css", "/data/-/static/app.css"]  # fmt: skip

# a wrk script that puts a new number in each request, so no response can come from a cache
FRESH_LUA = """
counter = 0
request = function()
  counter = counter + 1
  local path = string.gsub(wrk.path, "__N__", tostring(counter))
  return wrk.format("GET", path)
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> list[int]:
    children = [
        int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    ]
    return children + [d for c in children for d in descendants(c)]


def rss_kb(pid: int) -> int:
    """Resident memory of a process and its descendants (uvicorn's workers and their SQL workers), in kB."""
    total = 0
    pids = [pid, *descendants(pid)]
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as fh:
                total += next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
        except FileNotFoundError:
            pass
    return total


def start(workers: int, db: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "portal.cli", "serve", "--port", str(port), "--workers", str(workers), "--db", str(db)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urlopen(base + "/", timeout=1).read()
            return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the server did not start")


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    return float(m.group(1)) * _UNITS[m.group(2)]


def wrk(url: str, seconds: int = DURATION, lua: str | None = None, headers: dict | None = None) -> dict:
    """Run wrk and read requests/s, p50, p99 and errors from its report."""
    cmd = ["wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--latency", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    script = None
    if lua:
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115 - removed after wrk ran
        script.write(lua)
        script.close()
        cmd += ["-s", script.name]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=seconds + 30).stdout
    if script:
        os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        errors += int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors += sum(int(x) for x in m.groups())
    return {
        "requests_per_s": rps,
        "p50_ms": round(p50, 2),
        "p99_ms": round(p99, 2),
        "requests": total,
        "errors": errors,
    }


def overload(base: str, seconds: int = DURATION * 2) -> dict:
    """Four clients loop an expensive SQL query while wrk loads a page; the page's figures under that load."""
    stop_at = time.monotonic() + seconds
    answered: list[int] = []

    def hammer():
        while time.monotonic() < stop_at:
            try:
                with urlopen(base + "/data/strategy.json?sql=" + quote(EXPENSIVE), timeout=30) as r:
                    answered.append(r.status)
            except OSError as exc:
                answered.append(getattr(exc, "code", 0))

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    pages = wrk(base + "/data/strategy/kpis?id__gt=-__N__", seconds - 1, FRESH_LUA)
    goal = wrk(base + "/goals/3", 2)
    for t in threads:
        t.join()
    return {
        "datasette_table_fresh": pages,
        "flask_goal": goal,
        "sql_answers": {str(code): answered.count(code) for code in sorted(set(answered))},
    }


def get_from(base: str, path: str, address: str, timeout: float = 60) -> int:
    """GET `path` from another loopback address (another visitor); the status, or 0 when the connection failed."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout, source_address=(address, 0))
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError:
        return 0
    finally:
        conn.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def under_attack(base: str, seconds: int = DURATION * 2) -> dict:
    """Four visitors each loop the worst query; a page's figures (wrk) and a fifth visitor's SQL meanwhile."""
    stop_at = time.monotonic() + seconds
    attacks: list[int] = []
    sql: list[tuple[float, int]] = []

    def attacker(address: str) -> None:
        while time.monotonic() < stop_at:
            attacks.append(get_from(base, "/data/strategy.json?sql=" + quote(WORST), address))

    def visitor() -> None:
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            status = get_from(base, "/data/strategy.json?sql=" + quote(PLAIN_SQL), "127.0.0.9")
            sql.append(((time.perf_counter() - started) * 1000, status))

    threads = [threading.Thread(target=attacker, args=(f"127.0.0.{n}",)) for n in (2, 3, 4, 5)]
    threads.append(threading.Thread(target=visitor))
    for t in threads:
        t.start()
    time.sleep(0.5)
    page = wrk(base + "/goals/3", seconds - 1)
    for t in threads:
        t.join()
    times = [ms for ms, _ in sql]
    return {
        "flask_goal": page,
        "visitor_sql": {
            "p50_ms": round(percentile(times, 0.5), 1),
            "p99_ms": round(percentile(times, 0.99), 1),
            "requests": len(sql),
            "answers": {str(s): sum(1 for _, x in sql if x == s) for s in sorted({x for _, x in sql})},
        },
        "attack_answers": {str(s): attacks.count(s) for s in sorted(set(attacks))},
    }


def sizes(base: str) -> dict:
    """Bytes of each page as sent without and with gzip."""
    from urllib.request import Request

    out = {}
    for path in SIZES:
        plain = urlopen(Request(base + path, headers={"Accept-Encoding": "identity"}), timeout=30).read()
        with urlopen(Request(base + path, headers={"Accept-Encoding": "gzip"}), timeout=30) as r:
            packed = r.read()  # urllib does not decompress: these are the bytes sent
            encoding = r.headers.get("content-encoding")
        out[path] = {"plain_bytes": len(plain), "sent_bytes": len(packed), "encoding": encoding}
    return out


def time_build() -> dict:
    """Seconds for `portal build` (into a scratch copy) and for only importing what it uses."""
    work = Path(tempfile.mkdtemp(prefix="bench-build-"))
    try:
        pkg = work / "datapackage"
        (pkg / "sources").mkdir(parents=True)
        shutil.copyfile(paths.SOURCE, pkg / "sources" / paths.SOURCE_NAME)
        imports = "import portal.cli, portal.pipeline.build, sqlite_utils, yaml, click"
        import_times, build_times = [], []
        for _ in range(3):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", imports], check=True)
            import_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "portal.cli",
                    "build",
                    "--source",
                    str(pkg / "sources" / paths.SOURCE_NAME),
                    "--db",
                    str(work / "db" / "strategy.db"),
                    "--package",
                    str(pkg),
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            build_times.append(time.perf_counter() - t)
        return {
            "build_s": round(statistics.median(build_times), 3),
            "import_only_s": round(statistics.median(import_times), 3),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


#: inputs built to make a backtracking pattern run for ever: value cells, and whole lines for the table patterns
HOSTILE_CELLS = ["1," * 24 + "人", "1." * 29 + "人", "1" + "億1" * 29, "(" * 30 + ")" * 30, "1人" + "(a)" * 19]
HOSTILE_LINES = ["1," * 3000 + "人 " + "1," * 3000, "－" * 5000 + " " + "－" * 5000, "あ（" * 5000, "1 " * 5000]


def hostile_values() -> dict:
    """The slowest refusal of a hostile value cell, and the slowest table-line pattern on a hostile 10,000-character
    line (milliseconds; each the best of three)."""
    from portal.pipeline import markers
    from portal.pipeline.values import ValueFormatError, parse_amount

    def best(run) -> float:
        times = []
        for _ in range(3):
            t = time.perf_counter()
            run()
            times.append(time.perf_counter() - t)
        return min(times) * 1000

    def refuse(text: str) -> None:
        try:
            parse_amount(text)
        except ValueFormatError:
            return

    def lines(text: str) -> None:
        for pattern in (markers.RE_YEAR_LINE, markers.RE_VALUE_LINE, markers.RE_CELL_LINE):
            pattern.match(text)
        list(markers.RE_NUMGOAL_CELL.finditer(text))

    return {
        "cell_ms": round(max(best(lambda t=t: refuse(t)) for t in HOSTILE_CELLS), 3),
        "line_ms": round(max(best(lambda t=t: lines(t)) for t in HOSTILE_LINES), 3),
    }


def main() -> int:
    if shutil.which("wrk") is None:
        print(
            "wrk がありません。apt-get install wrk を実行してください / wrk is missing: apt-get install wrk",
            file=sys.stderr,
        )
        return 1
    db = paths.DB
    results: dict = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "seconds_per_scenario": DURATION,
        "connections": CONNECTIONS,
        "workers": {},
    }
    for workers in (1, 2):
        proc, base = start(workers, db)
        try:
            for _, _, path in SCENARIOS * (
                4 * workers
            ):  # warm up every URL in every worker (kept Datasette responses, first requests)
                urlopen(base + path.replace("__N__", "0"), timeout=30).read()
            rows = {}
            for key, label, path in SCENARIOS:
                figures = wrk(base + path, lua=FRESH_LUA if "__N__" in path else None)
                rows[key] = {"label": label, "path": path, **figures}
            static = rows["static"]["requests_per_s"]
            for row in rows.values():
                row["ratio_to_static"] = round(row["requests_per_s"] / static, 3) if static else None
            rows["overload"] = overload(base)
            rows["attack"] = under_attack(base)
            results["workers"][str(workers)] = {"scenarios": rows, "rss_kb_after": rss_kb(proc.pid)}
            if workers == 1:
                results["sizes"] = sizes(base)
        finally:
            stop(proc)
    results["build"] = time_build()
    results["hostile_values"] = hostile_values()
    out = paths.ROOT / "bench" / "results.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(report(results))
    print(f"\n→ {out}")
    return 0


def report(results: dict) -> str:
    lines = [f"{'scenario':<40} {'workers':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} {'÷static':>8}"]
    for workers, data in results["workers"].items():
        for key, row in data["scenarios"].items():
            if key in ("overload", "attack"):
                continue
            lines.append(
                f"{row['label']:<40} {workers:>7} {row['requests_per_s']:>9.0f} {row['p50_ms']:>8.1f} "
                f"{row['p99_ms']:>8.1f} {row['errors']:>6} {row['ratio_to_static']:>8.3f}"
            )
        o = data["scenarios"]["overload"]
        for name, row in (
            ("過負荷中：Datasette の表（毎回ちがう条件）", o["datasette_table_fresh"]),
            ("過負荷中：基本目標のページ", o["flask_goal"]),
        ):
            lines.append(
                f"{name:<40} {workers:>7} {row['requests_per_s']:>9.0f} {row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['errors']:>6} {'':>8}"
            )
        lines.append(f"{'  SQL answers during overload':<40} {workers:>7} {o['sql_answers']}")
        a = data["scenarios"]["attack"]
        page, sql = a["flask_goal"], a["visitor_sql"]
        lines.append(
            f"{'攻撃中（4 人が最悪の SQL をくり返す）':<40} {workers:>7} page p99 {page['p99_ms']:.1f} ms "
            f"({page['requests_per_s']:.0f} req/s, errors {page['errors']}); "
            f"SQL p50 {sql['p50_ms']:.0f} / p99 {sql['p99_ms']:.0f} ms {sql['answers']}; attacks {a['attack_answers']}"
        )
        lines.append(f"{'  server memory after (RSS, MB)':<40} {workers:>7} {data['rss_kb_after'] / 1024:>9.0f}")
    lines.append(f"\n{'page':<40} {'plain bytes':>12} {'gzip bytes':>12}")
    for path, size in results["sizes"].items():
        lines.append(f"{path:<40} {size['plain_bytes']:>12,} {size['sent_bytes']:>12,}")
    b = results["build"]
    lines.append(f"\nportal build: {b['build_s']:.2f} s; importing its libraries only: {b['import_only_s']:.2f} s")
    h = results["hostile_values"]
    lines.append(
        f"hostile value cells: slowest refusal {h['cell_ms']:.2f} ms; hostile 10,000-character table lines: "
        f"slowest {h['line_ms']:.2f} ms"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    from bench_pages import main as pages  # each kind of page through portal serve and nginx (scripts/bench_pages.py)

    sys.exit(main() or pages())
