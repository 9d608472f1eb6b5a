"""Faults: interrupted builds, rebuilds under a reader, a new build picked up by the server, fuzzed input."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import frictionless
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal import paths
from portal.pipeline import build as build_module
from portal.pipeline import publish
from portal.pipeline.build import build, parse
from portal.pipeline.errors import SourceError

from .conftest import start_server, stop_server

SOURCE_TEXT = paths.SOURCE.read_text(encoding="utf-8")


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def served(root: Path) -> dict:
    """What a server of this project tree would hand out: the database and every download."""
    db = root / "db" / "strategy.db"
    downloads = root / "db" / "downloads"
    out = {"strategy.db": digest(db)}
    for f in sorted(downloads.iterdir()):
        out["downloads/" + f.name] = digest(f)
    return out


def package_files(root: Path) -> dict:
    pkg = root / "datapackage"
    return {str(p.relative_to(pkg)): digest(p) for p in sorted(pkg.rglob("*")) if p.is_file()}


def changed_source(root: Path) -> Path:
    """A copy of the source with one KPI target changed in the 変更後 column."""
    text = SOURCE_TEXT.replace("21事業者   75事業者", "21事業者   80事業者")
    lines = text.split("\n")
    # only the 変更後 column's occurrence (the second) is changed: put the first back
    first = next(i for i, line in enumerate(lines) if "21事業者   80事業者" in line)
    lines[first] = lines[first].replace("80事業者", "75事業者")
    path = root / "changed.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


STAGES = ["parse", "write_database", "export_package", "write_downloads", "rename", "exchange", "link"]


@pytest.mark.parametrize("stage", STAGES)
def test_a_build_interrupted_at_any_stage_leaves_the_last_good_one(tree, monkeypatch, stage):
    """An exception at any stage, including after the package was swapped in, leaves the last good build."""
    root, source = tree
    before_served, before_package = served(root), package_files(root)

    class Interrupted(Exception):
        pass

    def fail(*args, **kwargs):
        raise Interrupted(stage)

    if stage == "rename":  # the finished build into db/.builds/<id>
        monkeypatch.setattr(publish.os, "rename", fail)
    elif stage == "exchange":
        monkeypatch.setattr(publish, "_exchange", fail)
    elif stage == "link":  # after the package was swapped in: it must be swapped back
        monkeypatch.setattr(publish, "_link", fail)
    else:
        monkeypatch.setattr(build_module, stage, fail)
    with pytest.raises(Interrupted):
        build(changed_source(root), root / "db" / "strategy.db", root / "datapackage")
    assert served(root) == before_served
    assert package_files(root) == before_package
    monkeypatch.undo()
    # nothing half-built is left to be served later
    assert leftovers(root) == []
    assert len(finished_builds(root)) == 1
    conn = sqlite3.connect(root / "db" / "strategy.db")
    assert conn.execute("pragma quick_check").fetchone() == ("ok",)
    # and the next build works
    build(paths.SOURCE, root / "db" / "strategy.db", root / "datapackage")
    assert package_files(root) == before_package


def leftovers(root: Path) -> list[Path]:
    """Staging folders, old packages and half-made links that a build may leave in a project tree."""
    return [
        *root.glob(".datapackage.*"),
        *root.glob("datapackage/.build-*"),
        *root.glob("db/.builds/.staging-*"),
        *root.glob("db/.*.link-*"),
    ]


def finished_builds(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "db" / ".builds").iterdir() if not p.name.startswith("."))


def kpi_count(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("select count(*) from kpis").fetchone()[0]
    finally:
        conn.close()


def state_of(root: Path) -> tuple[str, dict]:
    """What a kill may leave: the served database's digest and the package's files."""
    return digest(root / "db" / "strategy.db"), package_files(root)


def build_command(root: Path, source: Path) -> list[str]:
    return [sys.executable, "-m", "portal.cli", "build", "--source", str(source)] + [
        "--db",
        str(root / "db" / "strategy.db"),
        "--package",
        str(root / "datapackage"),
    ]


def timed_build(root: Path, source: Path) -> dict[str, float]:
    """Run one build to its end and note when its stages began, seen from outside (seconds after the start)."""
    marks: dict[str, float] = {}
    served_before = os.readlink(root / "db" / "current")
    start = time.monotonic()
    proc = subprocess.Popen(build_command(root, source), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while proc.poll() is None:
        now = time.monotonic() - start
        if "database" not in marks and any((root / "db" / ".builds").glob(".staging-*")):
            marks["database"] = now
        if "package" not in marks and any(root.glob(".datapackage.staging-*")):
            marks["package"] = now
        if "published" not in marks and os.readlink(root / "db" / "current") != served_before:
            marks["published"] = now
        time.sleep(0.001)
    marks["exit"] = time.monotonic() - start
    assert proc.returncode == 0
    return marks


@pytest.mark.slow
def test_a_build_killed_at_random_moments_leaves_a_valid_package_and_a_whole_database(tree):
    """SIGKILL at 20 moments spread over the whole build: the package validates and the database is whole each time.

    The builds alternate between two sources whose packages differ, so every
    kill interrupts a build that really replaces the package.  The kill times
    are stratified over a measured build (one in each sixteenth of it, four after it), so
    that parsing, writing the database, writing the package and publishing
    are all hit (the test prints what each kill left); after a kill the project holds the old build or the new one,
    never a mix inside the database or inside the package.
    """
    root, _ = tree
    db = root / "db" / "strategy.db"
    real = root / "real.txt"
    shutil.copyfile(paths.SOURCE, real)
    sources = {"changed": changed_source(root), "real": real}
    states: dict[str, tuple[str, dict]] = {}
    timings = []
    for name in ("changed", "real", "changed", "real"):
        timings.append(timed_build(root, sources[name]))
        state = state_of(root)
        assert states.setdefault(name, state) == state  # the build is deterministic
    assert states["changed"][0] != states["real"][0] and states["changed"][1] != states["real"][1]
    length = sum(t["exit"] for t in timings) / len(timings)
    rng = random.Random(15)
    # sixteen kills, one in each sixteenth of 1.2 builds (a killed build starts by clearing what the last one left);
    # four more well after a build's measured end, so that some builds finish even when the machine is busy
    delays = [(k + rng.random()) / 16 * length * 1.2 for k in range(16)]
    delays += [length * (1.5 + k * 0.5 + rng.random() * 0.5) for k in range(4)]
    rng.shuffle(delays)
    outcomes = []
    on_disk = "real"
    for delay in delays:
        target = "changed" if on_disk == "real" else "real"
        proc = subprocess.Popen(
            build_command(root, sources[target]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(delay)
        killed = proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        report = frictionless.validate(root / "datapackage" / "datapackage.json")
        assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
        conn = sqlite3.connect(db)
        assert conn.execute("pragma quick_check").fetchone() == ("ok",)
        conn.close()
        manifest = json.loads((root / "db" / "downloads" / "files.json").read_text(encoding="utf-8"))
        served_db = next(f for f in manifest["files"] if f["name"] == "strategy.db")
        assert served_db["sha256"] == digest(root / "db" / "downloads" / "strategy.db") == digest(db)
        db_digest, package = state_of(root)
        db_is = [name for name, state in states.items() if state[0] == db_digest]
        package_is = [name for name, state in states.items() if state[1] == package]
        assert db_is and package_is  # the database and the package are each one build's, whole
        assert {db_is[0], package_is[0]} <= {on_disk, target}
        outcomes.append((round(delay, 3), killed, db_is[0] == target, package_is[0] == target, len(leftovers(root))))
        on_disk = package_is[0]
    print(f"\nbuild {length:.3f} s; after each kill (delay s, killed, new database, new package, leftovers on disk):")
    print("\n".join(map(str, sorted(outcomes))))
    # the kills reached both sides of the publication, and some cut off a build while it was writing
    assert any(not new_db and not new_pkg for _, _, new_db, new_pkg, _ in outcomes)
    assert any(new_pkg for _, _, _, new_pkg, _ in outcomes)
    assert any(n for *_, n in outcomes)
    # the next build clears what the killed ones left
    subprocess.run(build_command(root, real), check=True, capture_output=True)
    assert state_of(root) == states["real"]
    assert leftovers(root) == []
    assert len(finished_builds(root)) == publish.KEEP_BUILDS


def test_twenty_rebuilds_while_a_reader_checks_the_served_file(tree):
    root, source = tree
    db = root / "db" / "strategy.db"
    expected = kpi_count(db)  # from the first build: another change to the parser may add indicators
    stop = threading.Event()
    checks: list[str] = []
    counts: list[int] = []

    def reader():
        while not stop.is_set():
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            checks.append(conn.execute("pragma quick_check").fetchone()[0])
            counts.append(conn.execute("select count(*) from kpis").fetchone()[0])
            conn.close()

    t = threading.Thread(target=reader)
    t.start()
    try:
        for _ in range(20):
            build(source, db, root / "datapackage")
    finally:
        stop.set()
        t.join()
    assert checks and set(checks) == {"ok"}
    assert counts and set(counts) == {expected}
    assert expected > 0
    assert len(finished_builds(root)) <= 2


def test_the_server_picks_up_a_new_build(tree, tmp_path):
    root, source = tree
    db = root / "db" / "strategy.db"
    proc, base, log = start_server(db, tmp_path / "server.log")
    try:
        page = httpx.get(base + "/kpis/", timeout=30)
        data = httpx.get(
            base + "/data/strategy/kpis.json?_shape=array&name=チームを構成する事業者数&version_id=2", timeout=30
        )
        download = httpx.get(base + "/downloads/kpis.csv", timeout=30)
        assert data.json()[0]["target_value"] == 75
        build(changed_source(root), db, root / "datapackage")
        new_page = httpx.get(base + "/kpis/", timeout=30)
        assert "80事業者" in new_page.text and new_page.headers["etag"] != page.headers["etag"]
        stale = httpx.get(base + "/kpis/", headers={"If-None-Match": page.headers["etag"]}, timeout=30)
        assert stale.status_code == 200
        new_data = httpx.get(
            base + "/data/strategy/kpis.json?_shape=array&name=チームを構成する事業者数&version_id=2", timeout=30
        )
        assert new_data.json()[0]["target_value"] == 80
        assert new_data.headers["etag"] != data.headers["etag"]
        stale = httpx.get(
            base + "/data/strategy/kpis.json?_shape=array&name=チームを構成する事業者数&version_id=2",
            headers={"If-None-Match": data.headers["etag"]},
            timeout=30,
        )
        assert stale.status_code == 200
        new_download = httpx.get(
            base + "/downloads/kpis.csv", headers={"If-None-Match": download.headers["etag"]}, timeout=30
        )
        assert new_download.status_code == 200 and new_download.content != download.content
        assert new_download.headers["etag"] == '"' + hashlib.sha256(new_download.content).hexdigest() + '"'
    finally:
        stop_server(proc, log)


# -- fuzzing the parser ---------------------------------------------------------------------

LINES = SOURCE_TEXT.split("\n")
NOISE = [
    "－ 省 略 －",
    "計画書３ページ",
    "・",
    "（令和元年） （天保２年）",
    "12頭  15頭",
    "※",
    "基本目標９ 新しい目標",
    "（主な関連事業）",
    "具体的な事業 重要業績評価指標（KPI）",
    "①",
    "（９）",
    "数値目標 基準値 目標値",
    " 変  更  前 変  更  後 変更理由 ",
    "資料４",
    "4",
    "x" * 300,
    "\x00",
    "〓",
    "",
]


@st.composite
def mutated(draw):
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "edit", "truncate"]))
        i = draw(st.integers(0, len(lines) - 1))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            lines.insert(i, draw(st.sampled_from(NOISE)))
        elif op == "edit" and lines[i]:
            k = draw(st.integers(0, len(lines[i]) - 1))
            lines[i] = (
                lines[i][:k]
                + draw(st.sampled_from(["", "１", "－", "（", "）", "。", "※", "年", " "]))
                + lines[i][k + 1 :]
            )
        elif op == "truncate":
            lines = lines[:i]
        if not lines:
            lines = [""]
    return "\n".join(lines)


@settings(
    max_examples=int(os.environ.get("PORTAL_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=mutated())
def test_fuzzed_documents_give_the_parsers_own_error_with_a_line_number(tmp_path, text):
    path = tmp_path / "fuzzed.txt"
    path.write_text(text, encoding="utf-8")
    try:
        parse(path)
    except SourceError as exc:
        assert exc.path == path
        assert exc.line is None or 1 <= exc.line <= len(text.split("\n")) + 1
        assert str(exc).startswith(f"{path}:")
